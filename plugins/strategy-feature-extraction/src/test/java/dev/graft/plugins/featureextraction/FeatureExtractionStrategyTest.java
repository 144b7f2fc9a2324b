package dev.graft.plugins.featureextraction;

import dev.graft.plugins.trainingkit.scoring.Scores;
import static dev.graft.plugins.featureextraction.RecordingProgress.metric;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import dev.graft.spi.ErrorKind;
import dev.graft.spi.GraftException;
import dev.graft.spi.Hyperparameters;
import dev.graft.spi.LoadContext;
import dev.graft.spi.ModelInput;
import dev.graft.spi.StrategyPlugin;
import dev.graft.spi.Task;
import dev.graft.spi.Target;
import dev.graft.spi.TaskSpec;
import dev.graft.spi.TrainOutcome;
import dev.graft.spi.TrainedModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FeatureExtractionStrategyTest {
  private static final TaskSpec CLASSES = new TaskSpec(Task.CLASSIFICATION, Data.LABELS);
  private static final ExecutorService POOL = Executors.newFixedThreadPool(4);

  private final FeatureExtractionStrategy strategy = new FeatureExtractionStrategy();

  @TempDir Path tmp;

  @AfterAll
  static void shutdown() {
    POOL.shutdownNow();
  }

  private TestTrainContext separable(Map<String, String> extra, long seed) throws Exception {
    return new TestTrainContext(
        tmp, new ClusterBackbone(16, 1.0, 0.6, 5), CLASSES,
        Data.clusters(40, "t"), Data.clusters(20, "v"), Data.hp(30, 0, seed, extra));
  }

  @Test
  void isFoundByServiceLoader() {
    List<String> ids = ServiceLoader.load(StrategyPlugin.class).stream()
        .map(p -> p.get().id())
        .toList();
    assertTrue(ids.contains("feature-extraction"), ids.toString());
  }

  @Test
  void separableClassesReachHighValidationAccuracy() throws Exception {
    TestTrainContext ctx = separable(Map.of(), 0);
    TrainOutcome outcome = strategy.train(ctx);

    double accuracy = metric(outcome.metrics(), "accuracy", "validation");
    assertTrue(accuracy >= 0.95, outcome.metrics().toString());
    assertFalse(ctx.progress.epochs.isEmpty());
    for (RecordingProgress.Epoch e : ctx.progress.epochs) {
      assertFalse(Double.isNaN(metric(e.metrics(), "macro_f1", "validation")), e.toString());
      assertFalse(Double.isNaN(metric(e.metrics(), "loss", "validation")), e.toString());
      assertFalse(Double.isNaN(metric(e.metrics(), "loss", "train")), e.toString());
    }
    // 120 examples in batches of 32: 4 steps an epoch; two candidate heads share the budget.
    assertEquals(2L * 30 * 4, ctx.progress.totalSteps.get());
    assertEquals(4L * ctx.progress.epochs.size(), ctx.progress.lastStep.get());
    // Each candidate head is a phase whose epochs count from 1.
    assertEquals(List.of("linear 16->3 head", "mlp 16->256->3 dropout 0.5 head"),
        ctx.progress.phases.stream().map(RecordingProgress.Phase::name).toList());
    assertEquals(0, ctx.progress.phases.get(0).epochsBefore());
    for (RecordingProgress.Phase phase : ctx.progress.phases) {
      assertEquals(2, phase.count());
      int end = phase.index() < 2 ? ctx.progress.phases.get(1).epochsBefore() : ctx.progress.epochs.size();
      for (int i = phase.epochsBefore(); i < end; i++) {
        assertEquals(i - phase.epochsBefore() + 1, ctx.progress.epochs.get(i).epoch(), phase.name());
        assertEquals(30, ctx.progress.epochs.get(i).totalEpochs(), phase.name());
      }
    }
    assertTrue(Files.exists(ctx.output.resolve("head.json")));
    assertTrue(Files.exists(ctx.output.resolve("head-0000.params")));
    Map<String, String> p = outcome.properties();
    String head = p.get("head");
    assertTrue(head.equals("linear 16->3") || head.equals("mlp 16->256->3 dropout 0.5"), head);
    String candidates = p.get("candidates");
    assertTrue(candidates.startsWith("linear 16->3: validation loss "), candidates);
    assertTrue(candidates.contains("; mlp 16->256->3 dropout 0.5: validation loss "), candidates);
    assertEquals("last", p.get("feature_layer"));
    assertEquals("mean", p.get("pooling"));
    assertEquals("true", p.get("normalize"));
    int best = Integer.parseInt(p.get("best_epoch"));
    assertTrue(best >= 1 && best <= 30, "within the kept head's phase: " + best);
    // The outcome carries the best epoch's validation metrics (best_epoch counts within the kept head's phase).
    RecordingProgress.Phase kept = ctx.progress.phases.stream()
        .filter(ph -> ph.name().equals(head + " head")).findFirst().orElseThrow();
    RecordingProgress.Epoch bestEpoch = ctx.progress.epochs.get(kept.epochsBefore() + best - 1);
    assertEquals(
        metric(bestEpoch.metrics(), "loss", "validation"),
        metric(outcome.metrics(), "loss", "validation"));
  }

  @Test
  void earlyStoppingStopsOnNoisyData() throws Exception {
    TestTrainContext ctx = new TestTrainContext(
        tmp, new ClusterBackbone(16, 1.0, 1.0, 3), CLASSES,
        Data.randomLabels(120, "t", 1), Data.randomLabels(60, "v", 2),
        Data.hp(100, 5, 0, Map.of("hidden", "0")));
    TrainOutcome outcome = strategy.train(ctx);

    int ran = ctx.progress.epochs.size();
    assertTrue(ran < 100, "ran " + ran + " epochs");
    assertEquals(Integer.toString(ran), outcome.properties().get("epochs_trained"));
    int best = Integer.parseInt(outcome.properties().get("best_epoch"));
    assertEquals(ran, best + 5, "stops exactly `patience` epochs after the best");
    assertTrue(ctx.progress.messages.stream().anyMatch(m -> m.startsWith("early stopping")));
  }

  @Test
  void cancelFromAnotherThreadStopsQuickly() throws Exception {
    TestTrainContext ctx = new TestTrainContext(
        tmp, new ClusterBackbone(16, 1.0, 0.6, 5), CLASSES,
        Data.clusters(300, "t"), Data.clusters(20, "v"),
        new Hyperparameters(10_000, 4, 0f, 0f, 10_000, 0, Map.of()));
    Future<TrainOutcome> job = POOL.submit(() -> strategy.train(ctx));
    assertTrue(ctx.progress.firstStep.await(60, TimeUnit.SECONDS), "training never started");

    long start = System.nanoTime();
    ctx.cancelled.set(true);
    ExecutionException e =
        assertThrows(ExecutionException.class, () -> job.get(5, TimeUnit.SECONDS));
    long millis = (System.nanoTime() - start) / 1_000_000;
    GraftException g = assertInstanceOf(GraftException.class, e.getCause());
    assertEquals(ErrorKind.CANCELLED, g.kind());
    assertTrue(millis < 5000, millis + " ms");
  }

  @Test
  void savedHeadPredictsLikeTheTrainedOne() throws Exception {
    TestTrainContext ctx = separable(Map.of("hidden", "16", "dropout", "0.2"), 0);
    TrainOutcome outcome = strategy.train(ctx);
    ClusterBackbone backbone = (ClusterBackbone) ctx.backbone;

    LoadContext load = new LoadContext(
        "m@1", ctx.output, CLASSES, outcome.properties(), backbone, Device.cpu());
    List<ModelInput> inputs = Data.inputs(ctx.validation);
    float[][] probabilities;
    try (TrainedModel model = strategy.load(load)) {
      probabilities = model.predict(inputs);
      assertEquals(inputs.size(), probabilities.length);
      int correct = 0;
      for (int i = 0; i < probabilities.length; i++) {
        assertEquals(3, probabilities[i].length);
        double sum = 0;
        for (float v : probabilities[i]) {
          assertTrue(v >= 0 && v <= 1);
          sum += v;
        }
        assertEquals(1.0, sum, 1e-5);
        int arg = Scores.argmax(probabilities[i], 3)[0];
        String truth = ((Target.Label) ctx.validation.get(i).target()).label();
        if (Data.LABELS.get(arg).equals(truth)) {
          correct++;
        }
      }
      // The saved weights are the best epoch's: same accuracy as reported at train time.
      double accuracy = metric(outcome.metrics(), "accuracy", "validation");
      assertEquals(accuracy, (double) correct / inputs.size(), 1e-9);

      List<Future<float[][]>> parallel = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        parallel.add(POOL.submit(() -> model.predict(inputs)));
      }
      for (Future<float[][]> f : parallel) {
        float[][] again = f.get(30, TimeUnit.SECONDS);
        for (int i = 0; i < again.length; i++) {
          assertArrayEquals(probabilities[i], again[i], 1e-6f);
        }
      }
      assertEquals(0, model.predict(List.of()).length);
    }
    assertFalse(backbone.closed.get(), "the model must not close the borrowed backbone");
  }

  @Test
  void closedModelRefusesToPredict() throws Exception {
    TestTrainContext ctx = separable(Map.of(), 0);
    TrainOutcome outcome = strategy.train(ctx);
    TrainedModel model = strategy.load(new LoadContext(
        "m@1", ctx.output, CLASSES, outcome.properties(), ctx.backbone, Device.cpu()));
    model.close();
    model.close();
    List<ModelInput> inputs = Data.inputs(ctx.validation);
    GraftException e = assertThrows(GraftException.class, () -> model.predict(inputs));
    assertEquals(ErrorKind.FAILED_PRECONDITION, e.kind());
  }

  @Test
  void sameSeedGivesSameMetrics() throws Exception {
    Map<String, String> extra = Map.of("hidden", "8", "dropout", "0.3");
    TestTrainContext first = separable(extra, 7);
    TestTrainContext second = first.withCache(tmp, first.hyperparameters);
    strategy.train(first);
    strategy.train(second);

    assertEquals(first.progress.epochs.size(), second.progress.epochs.size());
    for (int i = 0; i < first.progress.epochs.size(); i++) {
      assertEquals(first.progress.epochs.get(i).metrics(), second.progress.epochs.get(i).metrics());
    }
  }

  @Test
  void featuresComeFromTheCacheOncePerSplit() throws Exception {
    TestTrainContext ctx = separable(Map.of(), 0);
    ClusterBackbone backbone = (ClusterBackbone) ctx.backbone;
    strategy.train(ctx);
    assertEquals(1, ctx.misses("train"));
    assertEquals(1, ctx.misses("validation"));
    // 120 train inputs and 60 validation inputs in batches of 32.
    assertEquals(4 + 2, backbone.extractCalls.get());
    List<String> messages = ctx.progress.messages;
    assertTrue(messages.contains("embedding train 32/120"), messages.toString());
    assertTrue(ctx.progress.messages.contains("embedding train 120/120"));
    assertTrue(ctx.progress.messages.contains("embedding validation 60/60"));

    TestTrainContext again = ctx.withCache(tmp, Data.hp(3, 0, 0, Map.of("hidden", "4")));
    strategy.train(again);
    assertEquals(1, again.misses("train"), "a second job with the same features hits the cache");
    assertEquals(6, backbone.extractCalls.get());
  }

  @Test
  void withoutValidationTrainsAllEpochsAndReportsTrainMetrics() throws Exception {
    TestTrainContext ctx = new TestTrainContext(
        tmp, new ClusterBackbone(16, 1.0, 0.6, 5), CLASSES,
        Data.clusters(20, "t"), List.of(), Data.hp(12, 2, 0, Map.of()));
    TrainOutcome outcome = strategy.train(ctx);
    assertEquals(12, ctx.progress.epochs.size());
    assertEquals("12", outcome.properties().get("best_epoch"));
    // Nothing to choose by: auto mode trains the linear head only.
    assertEquals("linear 16->3", outcome.properties().get("head"));
    assertFalse(outcome.properties().containsKey("candidates"));
    assertTrue(metric(outcome.metrics(), "accuracy", "train") > 0.9, outcome.metrics().toString());
    assertTrue(outcome.metrics().stream().noneMatch(m -> m.split().equals("validation")));
    assertTrue(outcome.metrics().stream().allMatch(m -> m.epoch() == 0));
  }

}
