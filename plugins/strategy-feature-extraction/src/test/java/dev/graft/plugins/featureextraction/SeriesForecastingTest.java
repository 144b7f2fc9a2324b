package dev.graft.plugins.featureextraction;

import dev.graft.plugins.trainingkit.scoring.SeriesTargets;
import dev.graft.plugins.trainingkit.scoring.ForecastBaselines;
import static dev.graft.plugins.featureextraction.RecordingProgress.metric;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import dev.graft.spi.Backbone;
import dev.graft.spi.Example;
import dev.graft.spi.FeatureRequest;
import dev.graft.spi.GraftException;
import dev.graft.spi.LoadContext;
import dev.graft.spi.ModelInput;
import dev.graft.spi.Target;
import dev.graft.spi.Task;
import dev.graft.spi.TaskSpec;
import dev.graft.spi.TrainOutcome;
import dev.graft.spi.TrainedModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SeriesForecastingTest {
  @TempDir Path tmp;
  private final FeatureExtractionStrategy strategy = new FeatureExtractionStrategy();
  private static final TaskSpec FORECAST = new TaskSpec(Task.FORECASTING, List.of());

  /** Features: the last 12 points of the series, standardised on the window (a scale-free view). */
  private static final class LastPoints implements Backbone {
    @Override
    public List<String> layers() {
      return List.of("last");
    }

    @Override
    public int dimension() {
      return 12;
    }

    @Override
    public float[][] extract(List<ModelInput> inputs, FeatureRequest request) {
      float[][] out = new float[inputs.size()][12];
      for (int i = 0; i < inputs.size(); i++) {
        float[] x = ((ModelInput.Series) inputs.get(i)).values();
        float[] st = SeriesTargets.stats(x);
        for (int k = 0; k < 12; k++) {
          out[i][k] = (x[x.length - 12 + k] - st[0]) / st[1];
        }
      }
      return out;
    }

    @Override
    public void close() {}
  }

  /** Windows of a period-12 sine with a random level (0…1000) and amplitude; target: next 3. */
  private static List<Example> windows(int n, long seed) {
    Random r = new Random(seed);
    List<Example> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      float level = r.nextFloat() * 1000;
      float amp = 1 + r.nextFloat() * 50;
      int phase = r.nextInt(12);
      float[] x = new float[36];
      float[] y = new float[3];
      for (int t = 0; t < 39; t++) {
        float v = (float) (level + amp * Math.sin(2 * Math.PI * (t + phase) / 12) + amp * 0.3 * t / 12);
        if (t < 36) {
          x[t] = v;
        } else {
          y[t - 36] = v;
        }
      }
      out.add(new Example(new ModelInput.Series(x, 1), new Target.Values(y)));
    }
    return out;
  }

  @Test
  void forecastsAreScaledPerWindowAndReportedBesideBaselines() throws Exception {
    List<Example> validation = windows(40, 2);
    TestTrainContext ctx = new TestTrainContext(tmp, new LastPoints(), FORECAST, windows(200, 1),
        validation, Data.hp(80, 0, 0, Map.of("hidden", "0")));
    TrainOutcome outcome = strategy.train(ctx);
    double mase = metric(outcome.metrics(), "mase", "validation");
    double naive = metric(outcome.metrics(), "baseline.naive.mase", "validation");
    assertEquals(12.0, metric(outcome.metrics(), "baseline.season_length", "validation"));
    assertTrue(metric(outcome.metrics(), "baseline.seasonal_naive.mase", "validation") > 0);
    assertTrue(metric(outcome.metrics(), "baseline.drift.rmse", "validation") > 0);
    assertTrue(mase < 0.2 * naive, "model " + mase + " vs naive " + naive);
    assertEquals("window", outcome.properties().get("series_scaling"));
    try (TrainedModel model = strategy.load(new LoadContext(
        "f@1", ctx.output, FORECAST, outcome.properties(), ctx.backbone, Device.cpu()))) {
      float[][] values = model.predict(List.of(validation.get(0).input()));
      float[] truth = ((Target.Values) validation.get(0).target()).values();
      float[] x = ((ModelInput.Series) validation.get(0).input()).values();
      double scale = ForecastBaselines.naiveScale(x);
      for (int k = 0; k < 3; k++) {
        assertEquals(truth[k], values[0][k], scale, "step " + k);
      }
    }
  }

  @Test
  void refusesBadSeriesOptions() {
    GraftException e = assertThrows(GraftException.class, () -> strategy.validate(
        Data.hp(1, 0, 0, Map.of("season_length", "0")), FORECAST));
    assertEquals("hyperparameters.extra[season_length]", e.field());
    GraftException s = assertThrows(GraftException.class, () -> strategy.validate(
        Data.hp(1, 0, 0, Map.of("series_scaling", "mean")), FORECAST));
    assertEquals("hyperparameters.extra[series_scaling]", s.field());
  }
}
