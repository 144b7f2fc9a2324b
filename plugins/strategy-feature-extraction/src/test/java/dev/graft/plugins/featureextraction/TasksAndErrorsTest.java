package dev.graft.plugins.featureextraction;

import static dev.graft.plugins.featureextraction.RecordingProgress.metric;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import dev.graft.spi.ErrorKind;
import dev.graft.spi.Example;
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
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Regression, forecasting and the errors a job's data or options can cause. */
class TasksAndErrorsTest {
  private static final TaskSpec CLASSES = new TaskSpec(Task.CLASSIFICATION, Data.LABELS);

  private final FeatureExtractionStrategy strategy = new FeatureExtractionStrategy();

  @TempDir Path tmp;

  private TestTrainContext separable(Map<String, String> extra) throws Exception {
    return new TestTrainContext(
        tmp, new ClusterBackbone(16, 1.0, 0.6, 5), CLASSES,
        Data.clusters(40, "t"), Data.clusters(20, "v"), Data.hp(30, 0, 0, extra));
  }

  @Test
  void regressionLearnsALine() throws Exception {
    TaskSpec regression = new TaskSpec(Task.REGRESSION, List.of());
    TestTrainContext ctx = new TestTrainContext(
        tmp, new ClusterBackbone(8, 1.0, 0.05, 2), regression,
        Data.line(200, "t", 1), Data.line(50, "v", 2),
        Data.hp(60, 0, 0, Map.of("normalize", "false")));
    TrainOutcome outcome = strategy.train(ctx);

    double rmse = metric(outcome.metrics(), "rmse", "validation");
    assertTrue(rmse < 0.5, "rmse " + rmse + " for targets spread over [4, 16]");
    assertFalse(Double.isNaN(metric(outcome.metrics(), "mae", "validation")));
    try (TrainedModel model = strategy.load(new LoadContext(
        "r@1", ctx.output, regression, outcome.properties(), ctx.backbone, Device.cpu()))) {
      float[][] values = model.predict(Data.inputs(ctx.validation));
      double sum = 0;
      for (int i = 0; i < values.length; i++) {
        assertEquals(1, values[i].length);
        float truth = ((Target.Value) ctx.validation.get(i).target()).value();
        sum += (values[i][0] - truth) * (values[i][0] - truth);
      }
      assertEquals(rmse, Math.sqrt(sum / values.length), 1e-3);
    }
  }

  @Test
  void unknownLabelNamesTheExample() throws Exception {
    List<Example> train = new ArrayList<>(Data.clusters(5, "t"));
    train.set(4, new Example(new ModelInput.Text("c0 x"), new Target.Label("dog")));
    TestTrainContext ctx = new TestTrainContext(
        tmp, new ClusterBackbone(4, 1, 1, 1), CLASSES, train, List.of(),
        Data.hp(1, 0, 0, Map.of()));
    GraftException e = assertThrows(GraftException.class, () -> strategy.train(ctx));
    assertEquals(ErrorKind.INVALID_ARGUMENT, e.kind());
    assertEquals("train.examples[4].target", e.field());
    assertEquals(0, ((ClusterBackbone) ctx.backbone).extractCalls.get(), "fails before embedding");
  }

  @Test
  void unknownLayerIsRefusedWithTheOptionName() throws Exception {
    TestTrainContext ctx = separable(Map.of("layer", "nope"));
    GraftException e = assertThrows(GraftException.class, () -> strategy.train(ctx));
    assertEquals(ErrorKind.INVALID_ARGUMENT, e.kind());
    assertEquals("hyperparameters.extra[layer]", e.field());
  }

  @Test
  void cancelDuringEmbeddingStops() throws Exception {
    TestTrainContext ctx = separable(Map.of());
    ctx.cancelled.set(true);
    GraftException e = assertThrows(GraftException.class, () -> strategy.train(ctx));
    assertEquals(ErrorKind.CANCELLED, e.kind());
  }
  @Test
  void forecastingIsAMultiOutputRegression() throws Exception {
    TaskSpec forecasting = new TaskSpec(Task.FORECASTING, List.of());
    List<Example> train = horizon(150, "t", 1);
    List<Example> validation = horizon(40, "v", 2);
    TestTrainContext ctx = new TestTrainContext(
        tmp, new ClusterBackbone(8, 1.0, 0.05, 2), forecasting, train, validation,
        Data.hp(60, 0, 0, Map.of("normalize", "false")));
    TrainOutcome outcome = strategy.train(ctx);

    assertEquals("3", outcome.properties().get("outputs"));
    assertTrue(metric(outcome.metrics(), "rmse", "validation") < 0.5, outcome.metrics().toString());
    try (TrainedModel model = strategy.load(new LoadContext(
        "f@1", ctx.output, forecasting, outcome.properties(), ctx.backbone, Device.cpu()))) {
      float[][] values = model.predict(Data.inputs(validation));
      float[] truth = ((Target.Values) validation.get(0).target()).values();
      assertEquals(3, values[0].length);
      for (int j = 0; j < 3; j++) {
        assertEquals(truth[j], values[0][j], 1.0);
      }
    }
  }

  /** A horizon of 3 values (x + 10, 2x + 10, 10 - x) for x along the backbone's direction. */
  private static List<Example> horizon(int n, String tag, long seed) {
    Random r = new Random(seed);
    List<Example> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      float x = (float) (r.nextDouble() * 4 - 2);
      String text = String.format(Locale.ROOT, "v%.5f %s%d", x, tag, i);
      float[] values = {x + 10, 2 * x + 10, 10 - x};
      out.add(new Example(new ModelInput.Text(text), new Target.Values(values)));
    }
    return out;
  }

  @Test
  void forecastTargetsOfDifferentLengthsAreRefused() throws Exception {
    List<Example> train = new ArrayList<>(horizon(10, "t", 1));
    train.set(7, new Example(new ModelInput.Text("v1 x"), new Target.Values(new float[] {1, 2})));
    TestTrainContext ctx = new TestTrainContext(tmp, new ClusterBackbone(4, 1, 1, 1),
        new TaskSpec(Task.FORECASTING, List.of()), train, List.of(), Data.hp(1, 0, 0, Map.of()));
    GraftException e = assertThrows(GraftException.class, () -> strategy.train(ctx));
    assertEquals(ErrorKind.INVALID_ARGUMENT, e.kind());
    assertEquals("train.examples[7].target", e.field());
  }

  @Test
  void unreadableInputNamesTheExampleNotTheBatch() throws Exception {
    List<Example> validation = new ArrayList<>(Data.clusters(20, "v"));
    validation.set(40, new Example(new ModelInput.Image(new byte[] {1}), new Target.Label("ant")));
    TestTrainContext ctx = new TestTrainContext(tmp, new ClusterBackbone(4, 1, 1, 1), CLASSES,
        Data.clusters(10, "t"), validation, Data.hp(1, 0, 0, Map.of()));
    GraftException e = assertThrows(GraftException.class, () -> strategy.train(ctx));
    assertEquals(ErrorKind.INVALID_ARGUMENT, e.kind());
    assertEquals("validation.examples[40].input", e.field());
  }

  @Test
  void loadRefusesLabelsThatDoNotMatch() throws Exception {
    TestTrainContext ctx = separable(Map.of("hidden", "0"));
    TrainOutcome outcome = strategy.train(ctx);
    TaskSpec other = new TaskSpec(Task.CLASSIFICATION, List.of("ant", "cat", "bee"));
    GraftException e = assertThrows(GraftException.class, () -> strategy.load(new LoadContext(
        "m@1", ctx.output, other, outcome.properties(), ctx.backbone, Device.cpu())));
    assertEquals(ErrorKind.FAILED_PRECONDITION, e.kind());
    assertEquals("LABELS_MISMATCH", e.reason());
  }
}
