package dev.graft.bench;

import dev.graft.api.v1.ExtractRequest;
import dev.graft.api.v1.ModelSpec;
import dev.graft.client.GraftClient;
import dev.graft.client.Inputs;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipFile;

/**
 * Model load times on the shared store (PostgreSQL + S3-compatible object storage) against the
 * local store, with the server jar as its own processes ({@code bench/run-shared-store}, which
 * starts PostgreSQL and MinIO and passes them in the environment). Each run uses a fresh database
 * and bucket prefix, and its own copy of the model whose ONNX file ends with a second {@code
 * doc_string} field naming the run (valid protobuf: the last one wins), so its content, hence its
 * blob, is new (the built-in {@code minilm-l6} the replicas install holds the original bytes):
 *
 * <ol>
 *   <li>replica A starts on the shared store (it installs the built-ins) and imports
 *       {@code bench-minilm} (the ONNX file and tokenizer of {@code minilm-l6}, taken from the jar):
 *       <b>publish</b> = the ImportModel call (stream, stage, upload the blobs, commit); then the
 *       same files again as version 2 (blobs already stored: HEAD requests and the commit);
 *   <li>replica B starts with an empty work-dir: its first Extract on {@code bench-minilm@1} is the
 *       <b>cold load</b> (download + verify into the blob cache, engine load, one inference);
 *   <li>B restarts on the same work-dir: the first Extract is the <b>warm load</b> (blobs cached,
 *       engine load, one inference);
 *   <li>a server on a fresh local store imports the same files (local publish), restarts, and its
 *       first Extract is the <b>local load</b>.
 * </ol>
 *
 * Every first Extract follows SERVING (built-ins loaded and warmed, so the request path is warm);
 * the steady Extract latency (median of 10 later calls on B) is printed for reference. Prints each
 * run and the medians as Markdown.
 *
 * <pre>SharedStoreBenchmark SERVER_JAR WORK_DIR RUNS DATABASE_URL_PREFIX BUCKET</pre>
 *
 * DATABASE_URL_PREFIX is e.g. {@code postgresql://postgres@127.0.0.1:5432/bench} (run {@code i}
 * uses database {@code bench<i>}, which the script created); the AWS_* variables reach the servers.
 */
public final class SharedStoreBenchmark {
  private static final Pattern SERVING = Pattern.compile("serving on port (\\d+)");
  private static final String ONNX = "dev/graft/plugins/nlp/builtin/minilm-l6/all-minilm-l6-v2.onnx";
  private static final String TOKENIZER = "dev/graft/plugins/nlp/builtin/minilm-l6/all-minilm-l6-v2-tokenizer.json";
  private static final String MODEL = "bench-minilm";

  private SharedStoreBenchmark() {}

  public static void main(String[] args) throws Exception {
    Path jar = Path.of(args[0]);
    Path work = Path.of(args[1]);
    int runs = Integer.parseInt(args[2]);
    String database = args[3];
    String bucket = args[4];
    Files.createDirectories(work);
    Path onnx = work.resolve("model.onnx");
    Path tokenizer = work.resolve("tokenizer.json");
    try (ZipFile zip = new ZipFile(jar.toFile())) {
      for (var e : Map.of(ONNX, onnx, TOKENIZER, tokenizer).entrySet()) {
        try (InputStream in = zip.getInputStream(zip.getEntry(e.getKey()))) {
          Files.copy(in, e.getValue(), StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
    long modelBytes = Files.size(onnx) + Files.size(tokenizer);
    ModelSpec spec = ModelSpec.newBuilder().setName(MODEL).setDomain("nlp").setFormat("onnx")
        .putProperties("pooling", "mean").putProperties("hidden_size", "384").putProperties("layers", "6")
        .putProperties("max_tokens", "256").build();
    ExtractRequest extract = ExtractRequest.newBuilder().setModel(MODEL + "@1")
        .addInputs(Inputs.text("the first call after start-up")).build();

    String[] names = {"publish shared (new blobs)", "publish shared (blobs stored)", "publish local",
        "cold load shared", "warm load shared", "local load", "steady Extract (B)"};
    double[][] results = new double[names.length][runs];
    for (int run = 0; run < runs; run++) {
      Path dir = work.resolve("run" + run);
      Files.createDirectories(dir);
      Path unique = dir.resolve("model.onnx");
      Files.copy(onnx, unique);
      byte[] doc = ("graft bench run " + run + " " + System.nanoTime()).getBytes(StandardCharsets.UTF_8);
      byte[] field = new byte[2 + doc.length]; // ModelProto.doc_string = field 6, length-delimited: tag 0x32
      field[0] = 0x32;
      field[1] = (byte) doc.length; // < 128: a one-byte varint
      System.arraycopy(doc, 0, field, 2, doc.length);
      Files.write(unique, field, StandardOpenOption.APPEND);
      List<GraftClient.Part> parts = List.of(new GraftClient.Part("", unique),
          new GraftClient.Part("tokenizer.json", tokenizer));
      List<String> shared = List.of("--store", database + run, "--blob-store", "s3://" + bucket + "/run" + run);
      double[] r = new double[names.length];
      try (Server a = Server.start(jar, dir.resolve("a.log"), shared, "--work-dir", dir.resolve("work-a").toString());
          GraftClient client = a.client()) {
        r[0] = time(() -> client.importModel(spec, parts));
        r[1] = time(() -> client.importModel(spec, parts));
      }
      try (Server b = Server.start(jar, dir.resolve("b1.log"), shared, "--work-dir", dir.resolve("work-b").toString());
          GraftClient client = b.client()) {
        r[3] = time(() -> client.extract(extract));
        double[] steady = new double[10];
        for (int i = 0; i < steady.length; i++) {
          steady[i] = time(() -> client.extract(extract));
        }
        r[6] = median(steady);
      }
      try (Server b = Server.start(jar, dir.resolve("b2.log"), shared, "--work-dir", dir.resolve("work-b").toString());
          GraftClient client = b.client()) {
        r[4] = time(() -> client.extract(extract));
      }
      List<String> local = List.of("--store", dir.resolve("local").toString());
      try (Server l = Server.start(jar, dir.resolve("l1.log"), local); GraftClient client = l.client()) {
        r[2] = time(() -> client.importModel(spec, parts));
      }
      try (Server l = Server.start(jar, dir.resolve("l2.log"), local); GraftClient client = l.client()) {
        r[5] = time(() -> client.extract(extract));
      }
      System.out.printf(Locale.ROOT, "run %d:", run + 1);
      for (int i = 0; i < names.length; i++) {
        results[i][run] = r[i];
        System.out.printf(Locale.ROOT, " %s %.0f ms;", names[i], r[i]);
      }
      System.out.println();
    }
    double local = median(results[5]);
    System.out.printf(Locale.ROOT, "%nModel: `%s` = minilm-l6's ONNX file (made unique per run) and tokenizer, %.1f MB;"
        + " medians of %d runs.%n%n",
        MODEL, modelBytes / 1e6, runs);
    System.out.println("| measurement | median ms | runs ms | / local load |");
    System.out.println("|---|---|---|---|");
    for (int i = 0; i < names.length; i++) {
      String ratio = i >= 3 && i <= 5 ? String.format(Locale.ROOT, "%.2f×", median(results[i]) / local) : "";
      StringBuilder all = new StringBuilder();
      for (double v : results[i]) {
        all.append(all.length() == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.0f", v));
      }
      System.out.printf(Locale.ROOT, "| %s | %.0f | %s | %s |%n", names[i], median(results[i]), all, ratio);
    }
  }

  /** One server process, stopped (SIGTERM, waited for) on close. */
  private record Server(Process process, int port) implements AutoCloseable {
    static Server start(Path jar, Path log, List<String> store, String... more) throws IOException, InterruptedException {
      Files.createDirectories(log.getParent());
      List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-Dai.djl.offline=true", "-jar", jar.toString(), "--port", "0", "--http-port", "-1", "--access-log", "false"));
      command.addAll(store);
      command.addAll(Arrays.asList(more));
      Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
      long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
      while (true) {
        if (!p.isAlive()) {
          throw new IllegalStateException("the server exited; see " + log);
        }
        Matcher m = SERVING.matcher(Files.exists(log) ? Files.readString(log) : "");
        if (m.find()) {
          return new Server(p, Integer.parseInt(m.group(1)));
        }
        if (System.nanoTime() > deadline) {
          p.destroyForcibly();
          throw new IllegalStateException("the server did not serve within 5 minutes; see " + log);
        }
        Thread.sleep(20);
      }
    }

    GraftClient client() {
      return GraftClient.builder("localhost:" + port).deadline(Duration.ofMinutes(5)).build();
    }

    @Override
    public void close() {
      process.destroy();
      try {
        process.waitFor();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  interface Call {
    void run() throws Exception;
  }

  private static double time(Call call) throws Exception {
    long t0 = System.nanoTime();
    call.run();
    return (System.nanoTime() - t0) / 1e6;
  }

  private static double median(double[] values) {
    double[] v = values.clone();
    Arrays.sort(v);
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }
}
