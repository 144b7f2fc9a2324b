package dev.graft.server.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

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
import dev.graft.server.TestData;
import dev.graft.server.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The time-series transfer benchmark through a real server, on real series held out of
 * ts-encoder's pretraining (vega-datasets: Mauna Loa CO2, Seattle daily max and min temperature,
 * AAPL monthly): windows from the first 80 % of each series train, windows whose targets lie in
 * the last 20 % validate; each strategy's validation MASE beside the job's baselines. Not part of
 * CI: run with {@code -Dgraft.bench=true}. Prints Markdown rows for docs/benchmarks.md.
 */
class TimeSeriesBenchmarkTest {
  @TempDir Path store;
  @TempDir Path files;

  record Case(String name, float[] values, int context, int horizon, int season) {}

  static float[] column(Path file, String name, String filterColumn, String filterValue) throws Exception {
    List<String> lines = Files.readAllLines(file);
    List<String> header = List.of(lines.get(0).split(","));
    int c = header.indexOf(name);
    int f = filterColumn == null ? -1 : header.indexOf(filterColumn);
    List<Float> out = new ArrayList<>();
    for (String line : lines.subList(1, lines.size())) {
      String[] cells = line.split(",");
      if (!line.isBlank() && (f < 0 || cells[f].equals(filterValue))) {
        out.add(Float.parseFloat(cells[c]));
      }
    }
    float[] a = new float[out.size()];
    for (int i = 0; i < a.length; i++) {
      a[i] = out.get(i);
    }
    return a;
  }

  private static double metric(Job job, String name) {
    return job.getMetricsList().stream()
        .filter(m -> m.getName().equals(name) && m.getSplit().equals("validation") && m.getEpoch() == 0)
        .mapToDouble(Metric::getValue).findFirst().orElse(Double.NaN);
  }

  private static String window(float[] x, int from, int context, int horizon) {
    StringBuilder b = new StringBuilder("{\"series\":[");
    for (int t = from; t < from + context; t++) {
      b.append(t == from ? "" : ",").append(x[t]);
    }
    b.append("],\"values\":[");
    for (int t = from + context; t < from + context + horizon; t++) {
      b.append(t == from + context ? "" : ",").append(x[t]);
    }
    return b.append("]}").toString();
  }

  @Test
  void strategiesOnHeldOutSeries() throws Exception {
    assumeTrue(Boolean.getBoolean("graft.bench"), "benchmark: run with -Dgraft.bench=true");
    Path vega = TestData.assets().resolve("vega-datasets");
    List<Case> cases = List.of(
        new Case("co2 (monthly)", column(vega.resolve("co2-concentration.csv"), "CO2", null, null), 64, 12, 12),
        new Case("seattle temp_max (daily)", column(vega.resolve("seattle-weather.csv"), "temp_max", null, null), 64, 7, 7),
        new Case("seattle temp_min (daily)", column(vega.resolve("seattle-weather.csv"), "temp_min", null, null), 64, 7, 7),
        new Case("AAPL (monthly)", column(vega.resolve("stocks.csv"), "price", "symbol", "AAPL"), 36, 6, 12));
    Map<String, String[]> strategies = new LinkedHashMap<>();
    strategies.put("feature extraction", new String[] {"feature-extraction", ""});
    strategies.put("knowledge transfer", new String[] {"knowledge-transfer", ""});
    strategies.put("fine-tuning", new String[] {"fine-tuning", ""});
    strategies.put("from scratch", new String[] {"knowledge-transfer", "random"});
    List<String> rows = new ArrayList<>();
    try (TestServer server = TestServer.onPort(store, "access-log", "false")) {
      GraftClient client = server.client();
      for (Case c : cases) {
        float[] x = c.values();
        int cut = (int) Math.round(x.length * 0.8);
        List<String> train = new ArrayList<>();
        List<String> validation = new ArrayList<>();
        for (int s = 0; s + c.context() + c.horizon() <= x.length; s++) {
          if (s + c.context() + c.horizon() <= cut) {
            train.add(window(x, s, c.context(), c.horizon()));
          } else if (s + c.context() >= cut) {
            validation.add(window(x, s, c.context(), c.horizon()));
          }
        }
        Path trainFile = files.resolve("train.jsonl");
        Path valFile = files.resolve("validation.jsonl");
        Files.write(trainFile, train);
        Files.write(valFile, validation);
        Dataset tr = client.uploadDataset(DatasetSpec.newBuilder().setName("train").setDomain("timeseries")
            .setFormat(DatasetFormat.DATASET_FORMAT_JSONL).setTask(Task.TASK_FORECASTING).build(),
            List.of(new GraftClient.Part("", trainFile)));
        Dataset va = client.uploadDataset(DatasetSpec.newBuilder().setName("validation").setDomain("timeseries")
            .setFormat(DatasetFormat.DATASET_FORMAT_JSONL).setTask(Task.TASK_FORECASTING).build(),
            List.of(new GraftClient.Part("", valFile)));
        StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "| %s | %d | %d | %d/%d",
            c.name(), x.length, c.horizon(), train.size(), validation.size()));
        Job last = null;
        for (Map.Entry<String, String[]> s : strategies.entrySet()) {
          String strategy = s.getValue()[0];
          boolean fe = strategy.equals("feature-extraction");
          Hyperparameters.Builder h = Hyperparameters.newBuilder().setSeed(7);
          if (fe) {
            h.putExtra("season_length", Integer.toString(c.season()));
          } else {
            h.setEpochs(10).setBatchSize(32).setLearningRate(1e-3f);
          }
          if (!s.getValue()[1].isEmpty()) {
            h.putExtra("init", s.getValue()[1]);
          }
          long t0 = System.nanoTime();
          Job job = client.train(TrainRequest.newBuilder().setBaseModel("ts-encoder").setStrategy(strategy)
              .setOutputModel("bench").setTrain(DataSource.newBuilder().setDataset(tr.getId()))
              .setValidation(DataSource.newBuilder().setDataset(va.getId())).setHyperparameters(h).build());
          Job done = client.awaitJob(job.getId(), Duration.ofMinutes(10), e -> {});
          assertEquals(JobState.JOB_STATE_SUCCEEDED, done.getState(), done.getError().getMessage());
          row.append(String.format(Locale.ROOT, " | %.3f", metric(done, "mase")));
          System.err.printf(Locale.ROOT, "%s %s: %.1f s%n", c.name(), s.getKey(), (System.nanoTime() - t0) / 1e9);
          if (fe) {
            last = done;
          }
        }
        row.append(String.format(Locale.ROOT, " | %.3f (m=%d) | %.3f | %.3f |",
            metric(last, "baseline.seasonal_naive.mase"), c.season(), metric(last, "baseline.naive.mase"),
            metric(last, "baseline.drift.mase")));
        rows.add(row.toString());
        System.out.println(row);
      }
    }
    System.out.println("| series | points | horizon | train/val windows | feature extraction | knowledge transfer"
        + " | fine-tuning | from scratch | seasonal-naive | naive | drift |");
    System.out.println("|---|---|---|---|---|---|---|---|---|---|---|");
    rows.forEach(System.out::println);
  }
}
