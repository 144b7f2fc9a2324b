package dev.graft.server.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.api.v1.DataSource;
import dev.graft.api.v1.Dataset;
import dev.graft.api.v1.DatasetFormat;
import dev.graft.api.v1.DatasetSpec;
import dev.graft.api.v1.Job;
import dev.graft.api.v1.JobState;
import dev.graft.api.v1.Metric;
import dev.graft.api.v1.PredictResponse;
import dev.graft.api.v1.Task;
import dev.graft.api.v1.TrainRequest;
import dev.graft.client.GraftClient;
import dev.graft.client.Inputs;
import dev.graft.server.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The time-series slice on a real port: a generated series of known structure (periods 12 and 5,
 * a trend, AR(1) noise) uploaded as a long CSV with shuffled rows and gaps, windows cut by the
 * server, a feature-extraction head on the built-in ts-encoder, the job's model and baseline
 * metrics, and Predict in the series' own units.
 */
class TimeSeriesEndToEndTest {
  @TempDir Path store;
  @TempDir Path files;

  private static float[] series() {
    Random r = new Random(11);
    float[] x = new float[480];
    double ar = 0;
    for (int t = 0; t < x.length; t++) {
      ar = 0.6 * ar + 0.3 * r.nextGaussian();
      x[t] = (float) (500 + 0.05 * t + 6 * Math.sin(2 * Math.PI * t / 12)
          + 3 * Math.sin(2 * Math.PI * t / 5) + ar);
    }
    return x;
  }

  private static double metric(Job job, String name) {
    return job.getMetricsList().stream()
        .filter(m -> m.getName().equals(name) && m.getSplit().equals("validation") && m.getEpoch() == 0)
        .mapToDouble(Metric::getValue).findFirst().orElse(Double.NaN);
  }

  @Test
  void forecastingOnTsEncoderBeatsSeasonalNaiveAndPredictsInSeriesUnits() throws Exception {
    float[] x = series();
    int trainEnd = 400;
    List<String> rows = new ArrayList<>();
    for (int t = 0; t < trainEnd; t++) {
      rows.add(String.format(Locale.ROOT, "%d,%s", 1000 + t, t % 97 == 5 ? "" : Float.toString(x[t])));
    }
    Collections.shuffle(rows, new Random(3));
    rows.add(0, "time,value");
    Path csv = files.resolve("series.csv");
    Files.write(csv, rows);

    try (TestServer server = TestServer.onPort(store)) {
      GraftClient client = server.client();
      Dataset dataset = client.uploadDataset(DatasetSpec.newBuilder().setName("gen").setDomain("timeseries")
          .setFormat(DatasetFormat.DATASET_FORMAT_CSV).setTask(Task.TASK_FORECASTING)
          .putOptions("layout", "long").putOptions("timestamp_column", "time")
          .putOptions("horizon", "12").putOptions("context_length", "64").putOptions("stride", "2").build(),
          List.of(new GraftClient.Part("", csv)));
      assertEquals((trainEnd - 76) / 2 + 1, dataset.getExamples());

      Job job = client.train(TrainRequest.newBuilder().setBaseModel("ts-encoder").setStrategy("feature-extraction")
          .setOutputModel("gen-forecast").setTrain(DataSource.newBuilder().setDataset(dataset.getId()))
          .setValidationSplit(0.2f).build());
      Job done = client.awaitJob(job.getId(), Duration.ofMinutes(5), e -> {});
      assertEquals(JobState.JOB_STATE_SUCCEEDED, done.getState(), done.getError().getMessage());
      double mase = metric(done, "mase");
      double seasonal = metric(done, "baseline.seasonal_naive.mase");
      System.out.printf(Locale.ROOT, "validation MASE: ts-encoder + head %.3f, seasonal-naive %.3f, naive %.3f, drift %.3f (season %.0f)%n",
          mase, seasonal, metric(done, "baseline.naive.mase"), metric(done, "baseline.drift.mase"),
          metric(done, "baseline.season_length"));
      assertTrue(mase < seasonal, "model MASE " + mase + " vs seasonal-naive " + seasonal);

      // Unseen future: the 64 points before t = 400 … 412.
      float[] context = Arrays.copyOfRange(x, trainEnd - 64, trainEnd);
      PredictResponse r = client.predict("gen-forecast", List.of(Inputs.series(context)), 1);
      List<Float> forecast = r.getPredictions(0).getValuesList();
      assertEquals(12, forecast.size());
      double err = 0;
      for (int k = 0; k < 12; k++) {
        err += Math.abs(forecast.get(k) - x[trainEnd + k]);
      }
      assertTrue(err / 12 < 3.0, "forecast MAE " + err / 12 + " in the series' units: " + forecast);

      // Predict latency, one 64-point window per call (after the first call loaded the model).
      long[] nanos = new long[50];
      for (int i = 0; i < nanos.length; i++) {
        long t0 = System.nanoTime();
        client.predict("gen-forecast", List.of(Inputs.series(context)), 1);
        nanos[i] = System.nanoTime() - t0;
      }
      Arrays.sort(nanos);
      System.out.printf(Locale.ROOT, "Predict latency (1 window, 50 calls): p50 %.2f ms, p90 %.2f ms%n",
          nanos[25] / 1e6, nanos[45] / 1e6);
    }
  }
}
