package dev.graft.bench;

import dev.graft.api.v1.DataSource;
import dev.graft.api.v1.Example;
import dev.graft.api.v1.Hyperparameters;
import dev.graft.api.v1.Job;
import dev.graft.api.v1.JobState;
import dev.graft.api.v1.TrainRequest;
import dev.graft.client.GraftClient;
import dev.graft.client.Inputs;
import dev.graft.server.app.ConfigLoader;
import dev.graft.server.app.GraftServer;
import dev.graft.server.app.ServerComponent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a trained head costs in memory once its backbone is loaded: trains N feature-extraction
 * heads on {@code minilm-l6} (one dataset, different seeds), then loads them one by one with a
 * Predict each, and compares the process's resident memory before and after with N times a
 * head's stored size. Prints a Markdown table ({@code bench/run-head-memory}).
 *
 * <pre>HeadMemoryBenchmark ASSETS_DIR STORE_DIR [HEADS]</pre>
 */
public final class HeadMemoryBenchmark {
  private HeadMemoryBenchmark() {}

  public static void main(String[] args) throws Exception {
    Path assets = Path.of(args[0]);
    Path store = Path.of(args[1]);
    int heads = args.length > 2 ? Integer.parseInt(args[2]) : 50;
    List<String> lines = Files.readAllLines(assets.resolve("sentiment/yelp.jsonl"));
    List<Example> examples = new ArrayList<>();
    for (String line : lines.subList(0, 200)) {
      var json = com.google.gson.JsonParser.parseString(line).getAsJsonObject();
      examples.add(Inputs.labelled(json.get("text").getAsString(), json.get("label").getAsString()));
    }
    GraftServer server = ServerComponent.create(new ConfigLoader(Map.of()).load("--port", "0", "--store",
        store.toString(), "--access-log", "false", "--queue-capacity", Integer.toString(heads + 8))).server().start();
    try (GraftClient client = GraftClient.builder("localhost:" + server.port()).deadline(Duration.ofMinutes(30))
        .build()) {
      String dataset = client.uploadExamples("head-memory", "nlp", examples).getId();
      List<String> jobs = new ArrayList<>();
      for (int i = 0; i < heads; i++) {
        jobs.add(client.train(TrainRequest.newBuilder().setBaseModel("minilm-l6").setStrategy("feature-extraction")
            .setOutputModel("head-" + i).setTrain(DataSource.newBuilder().setDataset(dataset))
            .setValidationSplit(0.2f).setHyperparameters(Hyperparameters.newBuilder().setSeed(i)).build()).getId());
      }
      for (String id : jobs) {
        Job done = client.awaitJob(id, Duration.ofMinutes(30), e -> {});
        if (done.getState() != JobState.JOB_STATE_SUCCEEDED) {
          throw new IllegalStateException(id + " ended " + done.getState() + ": " + done.getError().getMessage());
        }
      }
      client.predict("head-0", Inputs.texts(List.of("warm the head path")), 1);
      long headBytes = client.getModel("head-0").getSizeBytes();
      long before = Rss.afterGc();
      int loadedBefore = client.serverInfo().getLoadedModelsCount();
      for (int i = 0; i < heads; i++) {
        client.predict("head-" + i, Inputs.texts(List.of("a lovely little place", "never again")), 1);
      }
      long after = Rss.afterGc();
      int loadedAfter = client.serverInfo().getLoadedModelsCount();
      long growth = after - before;
      System.out.println("| heads loaded | head stored size | RSS before → after (after GC) | growth | growth per head |"
          + " growth − N × stored size |");
      System.out.println("|---|---|---|---|---|---|");
      System.out.printf(Locale.ROOT, "| %d → %d | %.1f KB | %d → %d MB | %+.1f MB | %.1f KB | %+.1f MB |%n",
          loadedBefore, loadedAfter, headBytes / 1024.0, before >> 20, after >> 20, growth / 1048576.0,
          growth / 1024.0 / (heads - 1), (growth - (heads - 1) * headBytes) / 1048576.0);
    } finally {
      server.shutdown();
    }
  }

  /** The process's resident memory after garbage collection. */
  static final class Rss {
    private Rss() {}

    static long afterGc() throws Exception {
      for (int i = 0; i < 3; i++) {
        System.gc();
        Thread.sleep(200);
      }
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("\\D", "")) << 10;
        }
      }
      throw new IllegalStateException("no VmRSS");
    }
  }
}
