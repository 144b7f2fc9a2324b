package dev.graft.server.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.graft.api.v1.DataSource;
import dev.graft.api.v1.Dataset;
import dev.graft.api.v1.DatasetFormat;
import dev.graft.api.v1.Hyperparameters;
import dev.graft.api.v1.Job;
import dev.graft.api.v1.JobState;
import dev.graft.api.v1.TrainRequest;
import dev.graft.client.GraftClient;
import dev.graft.server.TestServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Feature extraction, knowledge transfer and fine-tuning on the fixed 80/20 yelp + amazon split,
 * through a real server: held-out accuracy and macro F1 (Predict on the 20%), the job's own
 * validation scores and wall time from Train to SUCCEEDED. Not part of CI: run with
 * {@code -Dgraft.bench=true}; {@code -Dgraft.bench.cases=minilm-l6:fine-tuning,...} picks cases.
 * Prints Markdown rows for docs/benchmarks.md.
 */
class TransferBenchmarkTest {
  @TempDir Path store;
  @TempDir Path files;

  @Test
  void strategiesOnTheSentimentSplit() throws Exception {
    assumeTrue(Boolean.getBoolean("graft.bench"), "benchmark: run with -Dgraft.bench=true");
    String cases = System.getProperty("graft.bench.cases",
        "minilm-l6:feature-extraction,minilm-l6:knowledge-transfer,minilm-l6:fine-tuning");
    HeldOut split = HeldOut.split(files, 0, 0);
    List<String> rows = new ArrayList<>();
    try (TestServer server = TestServer.onPort(store, "access-log", "false")) {
      GraftClient client = server.client();
      Dataset dataset = client.uploadDataset("sentiment", "nlp", DatasetFormat.DATASET_FORMAT_JSONL,
          split.trainFile);
      for (String c : cases.split(",")) {
        String[] parts = c.trim().split(":");
        String model = parts[0];
        String strategy = parts[1];
        Hyperparameters.Builder h = Hyperparameters.newBuilder().setSeed(42);
        for (int i = 2; i < parts.length; i++) {
          String[] kv = parts[i].split("=", 2);
          switch (kv[0]) {
            case "epochs" -> h.setEpochs(Integer.parseInt(kv[1]));
            case "lr" -> h.setLearningRate(Float.parseFloat(kv[1]));
            case "batch" -> h.setBatchSize(Integer.parseInt(kv[1]));
            default -> h.putExtra(kv[0], kv[1]);
          }
        }
        String output = (model + "-" + strategy).replace('.', '-');
        long start = System.nanoTime();
        Job job = client.train(TrainRequest.newBuilder().setBaseModel(model).setStrategy(strategy)
            .setOutputModel(output).setTrain(DataSource.newBuilder().setDataset(dataset.getId()))
            .setHyperparameters(h).build());
        Job done = client.awaitJob(job.getId(), Duration.ofHours(2), e -> {
          if (e.getJob().getProgress().getEpoch() > 0 && !e.getMessage().startsWith("epoch ")) {
            System.out.println("  " + e.getMessage());
          } else if (e.getMessage().contains("done:")) {
            System.out.println("  " + e.getMessage());
          }
        });
        double wall = (System.nanoTime() - start) / 1e9;
        assertEquals(JobState.JOB_STATE_SUCCEEDED, done.getState(), done.getError().getMessage());
        HeldOut.Score s = split.score(client, output);
        Map<String, String> props = client.getModel(output).getPropertiesMap();
        String row = String.format(Locale.ROOT, "| %s | %s | %s | %.4f | %.4f | %.4f | %.4f | %.0f s |",
            model, strategy, describe(props, h.build()), s.accuracy(), s.macroF1(),
            HeldOut.finalMetric(done, "accuracy"), HeldOut.finalMetric(done, "macro_f1"), wall);
        System.out.println(row);
        rows.add(row);
      }
    }
    System.out.println("| base model | strategy | settings | held-out accuracy | held-out macro-F1"
        + " | validation accuracy | validation macro-F1 | wall time |");
    System.out.println("|---|---|---|---|---|---|---|---|");
    rows.forEach(System.out::println);
  }

  private static String describe(Map<String, String> props, Hyperparameters h) {
    if (props.containsKey("head")) {
      return "head " + props.get("head");
    }
    String extra = h.getExtraMap().isEmpty() ? "" : " " + h.getExtraMap();
    return props.getOrDefault("plan", "") + "; " + props.getOrDefault("settings", "") + extra;
  }
}
