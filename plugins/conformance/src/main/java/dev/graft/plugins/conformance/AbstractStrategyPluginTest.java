package dev.graft.plugins.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.Device;
import dev.graft.spi.ErrorKind;
import dev.graft.spi.Example;
import dev.graft.spi.FeatureHead;
import dev.graft.spi.FeatureRequest;
import dev.graft.spi.GraftException;
import dev.graft.spi.Hyperparameters;
import dev.graft.spi.LoadContext;
import dev.graft.spi.MetricValue;
import dev.graft.spi.ModelInput;
import dev.graft.spi.StrategyPlugin;
import dev.graft.spi.Target;
import dev.graft.spi.Task;
import dev.graft.spi.TrainOutcome;
import dev.graft.spi.TrainedModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * What every {@link StrategyPlugin} must honour. A strategy's test extends this class and
 * supplies a {@link StrategyFixture} (a backbone, a few examples, a short run's hyperparameters)
 * and hyperparameters it must refuse; the tests check that the plugin is a service with a stable
 * id, names the field of a bad hyperparameter or input, trains a model whose stored weights load
 * back to the same predictions (and reproduce the metrics it reported), serves and trains from
 * several threads at once, closes models without closing their backbone, and stops training
 * promptly when cancelled.
 *
 * <p>One instance serves all tests of a class: the fixture is built and trained once, in
 * {@link #train()}; the suite closes the fixture's backbone at the end.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class AbstractStrategyPluginTest {
  private Path root;
  private StrategyFixture fixture;
  private RecordingTrainContext trained;
  private TrainOutcome outcome;

  /** The plugin under test. */
  protected abstract StrategyPlugin plugin();

  /** The data, backbone and settings of a short training run, made under {@code dir}. */
  protected abstract StrategyFixture fixture(Path dir) throws Exception;

  /**
   * Hyperparameters {@link StrategyPlugin#validate} must refuse for the fixture's task, each with
   * the field its error names ("hyperparameters.extra[unfreeze]"). At least one.
   */
  protected abstract Map<String, Hyperparameters> invalidHyperparameters();

  /** An input the fixture's backbone cannot read; empty (the default) when there is none. */
  protected Optional<ModelInput> unreadableInput() {
    return Optional.empty();
  }

  /** The largest difference allowed between two predictions of the same model. */
  protected float tolerance() {
    return 1e-4f;
  }

  /** How soon training must stop once cancelled. */
  protected Duration cancellationDeadline() {
    return Duration.ofSeconds(15);
  }

  /** Threads that call a model at once. */
  protected int threads() {
    return 4;
  }

  /** Builds the fixture and trains one model on it, for the tests that need one. */
  @BeforeAll
  void train() throws Exception {
    root = Files.createTempDirectory("graft-conformance-");
    fixture = fixture(root.resolve("fixture"));
    trained = context("job-conformance", fixture.hyperparameters());
    outcome = plugin().train(trained);
  }

  @AfterAll
  void closeBackbone() throws IOException {
    if (fixture != null) {
      fixture.backbone().close();
    }
    TempFolders.delete(root);
  }

  @Test
  void isAServiceWithAStableId() {
    Checks.isAService(StrategyPlugin.class, plugin());
  }

  @Test
  void acceptsTheFixturesHyperparameters() {
    plugin().validate(fixture.hyperparameters(), fixture.task());
  }

  @Test
  void refusesBadHyperparametersNamingTheField() {
    Map<String, Hyperparameters> cases = invalidHyperparameters();
    assertFalse(cases.isEmpty(), "invalidHyperparameters() gives at least one case");
    cases.forEach((field, hyperparameters) ->
        Checks.invalidArgument(field, () -> plugin().validate(hyperparameters, fixture.task())));
  }

  @Test
  void storedWeightsLoadBackToTheSamePredictions() throws Exception {
    try (Stream<Path> files = Files.list(trained.outputDirectory())) {
      List<String> names = files.map(p -> p.getFileName().toString()).toList();
      assertFalse(names.isEmpty(), "train() writes the model's files into outputDirectory()");
      assertFalse(names.contains("manifest.json"), "manifest.json is the server's");
    }
    List<ModelInput> inputs = validationInputs();
    float[][] first;
    try (TrainedModel model = load()) {
      first = model.predict(inputs);
    }
    try (TrainedModel again = load()) {
      float worst = Checks.maxDifference(first, again.predict(inputs));
      assertTrue(worst <= tolerance(), "two loads of the stored model predict the same (max difference "
          + worst + ")");
    }
    assertEquals(inputs.size(), first.length, "one output row per input");
    for (float[] row : first) {
      assertEquals(width(), row.length, "rows have the task's width");
      if (fixture.task().task() == Task.CLASSIFICATION) {
        double sum = 0;
        for (float p : row) {
          assertTrue(p >= -1e-6 && p <= 1 + 1e-6, "a probability: " + p);
          sum += p;
        }
        assertEquals(1.0, sum, 1e-3, "class probabilities sum to 1");
      }
    }
    reportedMetricsHold(first);
  }

  @Test
  void featureHeadsPredictFromTheirFeatures() throws Exception {
    try (TrainedModel model = load()) {
      assumeTrue(model instanceof FeatureHead, "the model reads more than its backbone's features");
      FeatureHead head = (FeatureHead) model;
      List<ModelInput> inputs = validationInputs();
      float[][] features = fixture.backbone().extract(inputs, head.featureRequest());
      float worst = Checks.maxDifference(head.predict(inputs), head.predictFeatures(inputs, features));
      assertTrue(worst <= tolerance(), "predict == predictFeatures(backbone features) (max difference "
          + worst + ")");
    }
  }

  @Test
  void predictIsThreadSafe() throws Exception {
    List<ModelInput> inputs = validationInputs();
    try (TrainedModel model = load()) {
      float[][] reference = model.predict(inputs);
      for (float[][] result : Concurrently.run(threads(), 3, () -> model.predict(inputs))) {
        float worst = Checks.maxDifference(reference, result);
        assertTrue(worst <= tolerance(), "concurrent predictions agree (max difference " + worst + ")");
      }
    }
  }

  @Test
  void predictNamesAnUnreadableInput() throws Exception {
    Optional<ModelInput> bad = unreadableInput();
    assumeTrue(bad.isPresent(), "the fixture's backbone reads every input");
    List<ModelInput> batch = new ArrayList<>(validationInputs().subList(0, 1));
    batch.add(bad.get());
    try (TrainedModel model = load()) {
      Checks.invalidArgument("inputs[1]", () -> model.predict(batch));
    }
  }

  @Test
  void closingAModelLeavesItsBackboneOpenAndIsIdempotent() {
    List<ModelInput> inputs = validationInputs();
    float[][] before = fixture.backbone().extract(inputs, FeatureRequest.defaults());
    TrainedModel model = load();
    model.predict(inputs);
    model.close();
    model.close();
    assertTrue(Checks.maxDifference(before, fixture.backbone().extract(inputs, FeatureRequest.defaults()))
        <= tolerance(), "the borrowed backbone still works after the model closed");
  }

  @Test
  void trainsConcurrentJobs() throws Exception {
    List<RecordingTrainContext> contexts = List.of(
        context("job-concurrent-a", fixture.hyperparameters()),
        context("job-concurrent-b", fixture.hyperparameters()));
    List<Callable<TrainOutcome>> jobs = List.of(
        () -> plugin().train(contexts.get(0)), () -> plugin().train(contexts.get(1)));
    List<TrainOutcome> outcomes = Concurrently.each(jobs);
    assertEquals(2, outcomes.size());
    for (int i = 0; i < contexts.size(); i++) {
      RecordingTrainContext context = contexts.get(i);
      assertTrue(context.steps() > 0, context.jobId() + " reported its steps");
      try (TrainedModel model = plugin().load(loadContext(context, outcomes.get(i)))) {
        assertEquals(fixture.validation().size(), model.predict(validationInputs()).length,
            context.jobId() + "'s model predicts");
      }
    }
  }

  @Test
  void cancelledBeforeItStartsTrainingStopsAtOnce() throws Exception {
    RecordingTrainContext context = context("job-cancelled-early", fixture.hyperparameters());
    context.cancel();
    assertCancelledWithin(context);
  }

  @Test
  void cancellingDuringTrainingStopsItPromptly() throws Exception {
    Hyperparameters h = fixture.hyperparameters();
    Hyperparameters longRun = new Hyperparameters(Math.max(h.epochs(), 1) * 100, h.batchSize(),
        h.learningRate(), h.weightDecay(), h.earlyStoppingPatience(), h.seed(), h.extra());
    RecordingTrainContext context = context("job-cancelled-late", longRun);
    context.afterEachStep(context::cancel);
    assertCancelledWithin(context);
    assertTrue(context.steps() > 0, "the run was cancelled after its first step");
  }

  private void assertCancelledWithin(RecordingTrainContext context) {
    long start = System.nanoTime();
    GraftException e = Checks.graftException(() -> plugin().train(context), "CANCELLED");
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    assertEquals(ErrorKind.CANCELLED, e.kind(), () -> Checks.describe(e));
    assertTrue(took.compareTo(cancellationDeadline()) <= 0,
        "stopped within " + cancellationDeadline() + " (took " + took + ")");
  }

  /** The model's validation metrics, recomputed from the loaded model's predictions. */
  private void reportedMetricsHold(float[][] predicted) {
    List<Example> validation = fixture.validation();
    if (fixture.task().task() == Task.CLASSIFICATION) {
      Optional<MetricValue> accuracy = metric("accuracy");
      if (accuracy.isPresent()) {
        int correct = 0;
        for (int i = 0; i < predicted.length; i++) {
          String label = ((Target.Label) validation.get(i).target()).label();
          correct += argmax(predicted[i]) == fixture.task().indexOf(label) ? 1 : 0;
        }
        assertEquals(accuracy.get().value(), correct / (double) predicted.length, 1e-6,
            "the loaded model has the validation accuracy train() reported");
      }
    } else if (fixture.task().task() == Task.REGRESSION) {
      Optional<MetricValue> mae = metric("mae");
      if (mae.isPresent()) {
        double sum = 0;
        for (int i = 0; i < predicted.length; i++) {
          sum += Math.abs(predicted[i][0] - ((Target.Value) validation.get(i).target()).value());
        }
        assertEquals(mae.get().value(), sum / predicted.length, 1e-3 * Math.max(1, mae.get().value()),
            "the loaded model has the validation MAE train() reported");
      }
    }
  }

  private Optional<MetricValue> metric(String name) {
    return outcome.metrics().stream()
        .filter(m -> m.name().equals(name) && m.split().equals("validation")).findFirst();
  }

  private int width() {
    return fixture.task().task() == Task.CLASSIFICATION ? fixture.task().labels().size()
        : fixture.validation().get(0).target() instanceof Target.Values v ? v.values().length : 1;
  }

  private static int argmax(float[] row) {
    int best = 0;
    for (int j = 1; j < row.length; j++) {
      if (row[j] > row[best]) {
        best = j;
      }
    }
    return best;
  }

  private List<ModelInput> validationInputs() {
    return fixture.validation().stream().map(Example::input).toList();
  }

  private RecordingTrainContext context(String job, Hyperparameters hyperparameters) throws IOException {
    return new RecordingTrainContext(root, job, fixture, hyperparameters);
  }

  private TrainedModel load() {
    return plugin().load(loadContext(trained, outcome));
  }

  private LoadContext loadContext(RecordingTrainContext context, TrainOutcome result) {
    return new LoadContext("conformance@1", context.outputDirectory(), fixture.task(),
        result.properties(), fixture.backbone(), Device.cpu());
  }
}
