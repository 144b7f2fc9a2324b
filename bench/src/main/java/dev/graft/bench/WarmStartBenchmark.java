package dev.graft.bench;

import dev.graft.api.v1.ExtractRequest;
import dev.graft.api.v1.Input;
import dev.graft.api.v1.Model;
import dev.graft.client.GraftClient;
import dev.graft.client.Inputs;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;

/**
 * Warm start: starts the server jar as its own process on a fresh store, measures the time from
 * the process's start to SERVING (the "serving on port" line: built-ins registered, loaded and
 * warmed), then for each built-in base model the latency of the first Extract against the median
 * of 10 later ones. Prints a Markdown table ({@code bench/run-warm-start}).
 *
 * <pre>WarmStartBenchmark SERVER_JAR STORE_DIR LOG_FILE</pre>
 */
public final class WarmStartBenchmark {
  private static final Pattern SERVING = Pattern.compile("serving on port (\\d+)");

  private WarmStartBenchmark() {}

  public static void main(String[] args) throws Exception {
    Path jar = Path.of(args[0]);
    Path store = Path.of(args[1]);
    Path log = Path.of(args[2]);
    long start = System.nanoTime();
    Process server = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Dai.djl.offline=true", "-jar", jar.toString(), "--port", "0", "--store", store.toString(),
        "--access-log", "false").redirectErrorStream(true).redirectOutput(log.toFile()).start();
    try {
      int port = -1;
      while (port < 0) {
        if (!server.isAlive()) {
          throw new IllegalStateException("the server exited; see " + log);
        }
        Matcher m = SERVING.matcher(Files.exists(log) ? Files.readString(log) : "");
        if (m.find()) {
          port = Integer.parseInt(m.group(1));
        } else {
          Thread.sleep(20);
        }
      }
      double toServing = (System.nanoTime() - start) / 1e9;
      List<String> rows = new ArrayList<>();
      try (GraftClient client = GraftClient.builder("localhost:" + port).deadline(Duration.ofMinutes(5)).build()) {
        for (Model model : client.listModels()) {
          Input input = input(model.getDomain(), model.getInput().getContextLength());
          if (input == null) {
            continue;
          }
          ExtractRequest request = ExtractRequest.newBuilder().setModel(model.getName()).addInputs(input).build();
          double first = time(() -> client.extract(request));
          double[] warm = new double[10];
          for (int i = 0; i < warm.length; i++) {
            warm[i] = time(() -> client.extract(request));
          }
          Arrays.sort(warm);
          double median = (warm[4] + warm[5]) / 2;
          rows.add(String.format(Locale.ROOT, "| `%s` | %.1f | %.1f | %.2f× |", model.getName(), first, median,
              first / median));
        }
      }
      System.out.printf(Locale.ROOT, "Process start to SERVING: %.1f s%n%n", toServing);
      System.out.println("| model | first Extract ms | warm median of 10 ms | first / warm |");
      System.out.println("|---|---|---|---|");
      rows.forEach(System.out::println);
    } finally {
      server.destroy();
      server.waitFor();
    }
  }

  private static Input input(String domain, int contextLength) throws Exception {
    return switch (domain) {
      case "nlp" -> Inputs.text("the first call after start-up");
      case "timeseries" -> {
        float[] values = new float[contextLength > 0 ? contextLength : 64];
        for (int i = 0; i < values.length; i++) {
          values[i] = (float) Math.sin(i / 4.0);
        }
        yield Inputs.series(values);
      }
      case "vision" -> {
        int side = 224; // resized to each model's input by the server
        BufferedImage image = new BufferedImage(side, side, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < side; y++) {
          for (int x = 0; x < side; x++) {
            image.setRGB(x, y, (x * 7 + y * 13) & 0xffffff);
          }
        }
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.write(image, "png", png);
        yield Inputs.image(png.toByteArray());
      }
      default -> null;
    };
  }

  interface Call {
    void run() throws Exception;
  }

  private static double time(Call call) throws Exception {
    long t0 = System.nanoTime();
    call.run();
    return (System.nanoTime() - t0) / 1e6;
  }
}
