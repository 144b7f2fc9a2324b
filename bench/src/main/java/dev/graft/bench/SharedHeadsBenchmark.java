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
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Heads that share a backbone: trains N feature-extraction heads on {@code minilm-l6}, then runs
 * the same load (32 clients, one sentence per Predict) on one head and spread over all N, in
 * alternating rounds. Prints a Markdown table ({@code bench/run-shared-heads}).
 *
 * <pre>SharedHeadsBenchmark ASSETS_DIR STORE_DIR [HEADS] [SECONDS_PER_ROUND] [ROUNDS]</pre>
 */
public final class SharedHeadsBenchmark {
  private static final int CLIENTS = 32;

  private SharedHeadsBenchmark() {}

  public static void main(String[] args) throws Exception {
    Path assets = Path.of(args[0]);
    Path store = Path.of(args[1]);
    int heads = args.length > 2 ? Integer.parseInt(args[2]) : 8;
    double seconds = args.length > 3 ? Double.parseDouble(args[3]) : 20;
    int rounds = args.length > 4 ? Integer.parseInt(args[4]) : 3;
    List<String> sentences = ExtractBenchmark.sentences(assets);
    List<Example> examples = new ArrayList<>();
    for (String line : Files.readAllLines(assets.resolve("sentiment/yelp.jsonl")).subList(0, 200)) {
      var json = com.google.gson.JsonParser.parseString(line).getAsJsonObject();
      examples.add(Inputs.labelled(json.get("text").getAsString(), json.get("label").getAsString()));
    }
    GraftServer server = ServerComponent.create(new ConfigLoader(Map.of()).load("--port", "0", "--store",
        store.toString(), "--access-log", "false", "--http-port", "-1")).server().start();
    try (GraftClient client = GraftClient.builder("localhost:" + server.port()).deadline(Duration.ofMinutes(30))
        .build()) {
      String dataset = client.uploadExamples("shared-heads", "nlp", examples).getId();
      for (int i = 0; i < heads; i++) {
        Job job = client.train(TrainRequest.newBuilder().setBaseModel("minilm-l6").setStrategy("feature-extraction")
            .setOutputModel("head-" + i).setTrain(DataSource.newBuilder().setDataset(dataset))
            .setValidationSplit(0.2f).setHyperparameters(Hyperparameters.newBuilder().setSeed(i)).build());
        Job done = client.awaitJob(job.getId(), Duration.ofMinutes(30), e -> {});
        if (done.getState() != JobState.JOB_STATE_SUCCEEDED) {
          throw new IllegalStateException(job.getId() + " ended " + done.getState());
        }
        client.predict("head-" + i, Inputs.texts(List.of("load this head")), 1);
      }
      ExtractBenchmark.run(seconds / 2, CLIENTS, 1, sentences, spread(client, heads)); // warm up
      System.out.println("| round | one head: sentences/s | " + heads + " heads: sentences/s | " + heads
          + " heads / one | one head p50 / p99 ms | " + heads + " heads p50 / p99 ms |");
      System.out.println("|---|---|---|---|---|---|");
      for (int r = 1; r <= rounds; r++) {
        var one = ExtractBenchmark.run(seconds, CLIENTS, 1, sentences, spread(client, 1));
        var many = ExtractBenchmark.run(seconds, CLIENTS, 1, sentences, spread(client, heads));
        System.out.printf(Locale.ROOT, "| %d | %.0f | %.0f | %.2f | %.1f / %.1f | %.1f / %.1f |%n", r, one.perSecond(),
            many.perSecond(), many.perSecond() / one.perSecond(), one.p50Ms(), one.p99Ms(), many.p50Ms(), many.p99Ms());
      }
    } finally {
      server.shutdown();
    }
  }

  /** Predict calls whose client threads are spread round-robin over heads 0..n-1. */
  private static ExtractBenchmark.Embed spread(GraftClient client, int n) {
    AtomicInteger next = new AtomicInteger();
    ThreadLocal<String> head = ThreadLocal.withInitial(() -> "head-" + next.getAndIncrement() % n);
    return batch -> client.predict(head.get(), Inputs.texts(batch), 1);
  }
}
