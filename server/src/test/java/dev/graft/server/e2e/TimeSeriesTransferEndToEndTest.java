package dev.graft.server.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.api.v1.DataSource;
import dev.graft.api.v1.Dataset;
import dev.graft.api.v1.DatasetFormat;
import dev.graft.api.v1.DatasetSpec;
import dev.graft.api.v1.Hyperparameters;
import dev.graft.api.v1.Job;
import dev.graft.api.v1.JobState;
import dev.graft.api.v1.Metric;
import dev.graft.api.v1.Task;
import dev.graft.api.v1.TrainRequest;
import dev.graft.client.GraftClient;
import dev.graft.server.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every strategy on ts-encoder, on a real port: forecasting (a generated series with periods 12
 * and 5, a trend and AR noise) and classification of whole series (sine, square wave, random
 * walk), with feature extraction, knowledge transfer, fine-tuning, and from scratch
 * (knowledge transfer with {@code init=random}).
 */
class TimeSeriesTransferEndToEndTest {
  @TempDir Path store;
  @TempDir Path files;

  private static double metric(Job job, String name) {
    return job.getMetricsList().stream()
        .filter(m -> m.getName().equals(name) && m.getSplit().equals("validation") && m.getEpoch() == 0)
        .mapToDouble(Metric::getValue).findFirst().orElse(Double.NaN);
  }

  private static Job train(GraftClient client, String dataset, String strategy, String out,
      Map<String, String> extra) {
    Hyperparameters.Builder h = Hyperparameters.newBuilder().setSeed(5).setEpochs(6).setBatchSize(32)
        .setLearningRate(strategy.equals("feature-extraction") ? 0 : 1e-3f).putAllExtra(extra);
    Job job = client.train(TrainRequest.newBuilder().setBaseModel("ts-encoder").setStrategy(strategy)
        .setOutputModel(out).setTrain(DataSource.newBuilder().setDataset(dataset))
        .setValidationSplit(0.2f).setHyperparameters(h).build());
    Job done = client.awaitJob(job.getId(), Duration.ofMinutes(5), e -> {});
    assertEquals(JobState.JOB_STATE_SUCCEEDED, done.getState(), strategy + ": " + done.getError().getMessage());
    return done;
  }

  @Test
  void everyStrategyForecastsAndClassifiesOnTsEncoder() throws Exception {
    float[] x = new float[400];
    Random r = new Random(11);
    double ar = 0;
    List<String> rows = new ArrayList<>(List.of("t,value"));
    for (int t = 0; t < x.length; t++) {
      ar = 0.6 * ar + 0.3 * r.nextGaussian();
      x[t] = (float) (500 + 0.05 * t + 6 * Math.sin(2 * Math.PI * t / 12) + 3 * Math.sin(2 * Math.PI * t / 5) + ar);
      rows.add(t + "," + x[t]);
    }
    Path series = files.resolve("series.csv");
    Files.write(series, rows);
    List<String> wide = new ArrayList<>();
    StringBuilder header = new StringBuilder("kind");
    for (int t = 0; t < 64; t++) {
      header.append(",t").append(t);
    }
    wide.add(header.toString());
    String[] kinds = {"sine", "square", "walk"};
    for (int i = 0; i < 120; i++) {
      String kind = kinds[i % 3];
      StringBuilder b = new StringBuilder(kind);
      double level = r.nextGaussian() * 10;
      double period = 8 + r.nextInt(16);
      double phase = r.nextDouble() * 6.28;
      double walk = 0;
      for (int t = 0; t < 64; t++) {
        double s = Math.sin(2 * Math.PI * t / period + phase);
        walk += r.nextGaussian();
        double v = switch (kind) {
          case "sine" -> s;
          case "square" -> Math.signum(s);
          default -> walk * 0.3;
        };
        b.append(',').append(String.format(Locale.ROOT, "%.4f", level + v + 0.1 * r.nextGaussian()));
      }
      wide.add(b.toString());
    }
    Path shapes = files.resolve("shapes.csv");
    Files.write(shapes, wide);

    try (TestServer server = TestServer.onPort(store)) {
      GraftClient client = server.client();
      Dataset forecast = client.uploadDataset(DatasetSpec.newBuilder().setName("gen").setDomain("timeseries")
          .setFormat(DatasetFormat.DATASET_FORMAT_CSV).setTask(Task.TASK_FORECASTING)
          .putOptions("layout", "long").putOptions("timestamp_column", "t")
          .putOptions("horizon", "12").putOptions("context_length", "64").putOptions("stride", "2").build(),
          List.of(new GraftClient.Part("", series)));
      Dataset classes = client.uploadDataset(DatasetSpec.newBuilder().setName("shapes").setDomain("timeseries")
          .setFormat(DatasetFormat.DATASET_FORMAT_CSV)
          .putOptions("layout", "wide").putOptions("label_column", "kind").build(),
          List.of(new GraftClient.Part("", shapes)));
      assertEquals(120, classes.getExamples());

      record Run(String strategy, Map<String, String> extra) {}
      List<Run> runs = List.of(new Run("feature-extraction", Map.of()), new Run("knowledge-transfer", Map.of()),
          new Run("fine-tuning", Map.of()), new Run("knowledge-transfer", Map.of("init", "random")));
      for (Run run : runs) {
        String name = run.strategy() + (run.extra().isEmpty() ? "" : "-scratch");
        Job f = train(client, forecast.getId(), run.strategy(), name + "-f", run.extra());
        double mase = metric(f, "mase");
        double seasonal = metric(f, "baseline.seasonal_naive.mase");
        Job c = train(client, classes.getId(), run.strategy(), name + "-c", run.extra());
        double accuracy = metric(c, "accuracy");
        System.out.printf(Locale.ROOT, "%-22s forecasting MASE %.3f (seasonal-naive %.3f); classification accuracy %.3f%n",
            name, mase, seasonal, accuracy);
        assertTrue(mase > 0 && seasonal > 0, name + " reports MASE and baselines: " + f.getMetricsList());
        assertTrue(accuracy >= 0.6, name + " accuracy " + accuracy);
        if (run.extra().isEmpty()) {
          assertTrue(mase < seasonal, name + ": MASE " + mase + " vs seasonal-naive " + seasonal);
        }
      }
    }
  }
}
