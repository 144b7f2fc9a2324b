package dev.graft.plugins.trainingkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.spi.BaseModel;
import dev.graft.spi.ErrorKind;
import dev.graft.spi.GraftException;
import dev.graft.spi.Hyperparameters;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Group plans, learning-rate schedules and option parsing (no engine needed). */
class PlanAndScheduleTest {
  static final TransferSettings.Defaults DEFAULTS = new TransferSettings.Defaults(
      4, 16, 1e-4f, 0.01f, 2, 0.25f, TransferSettings.Schedule.LINEAR, 1f, 0.1f, 10f, false);

  @Test
  void knowledgeTransferTrainsEveryGroupAtOneRate() {
    GroupPlan all = GroupPlan.all();
    for (int g = 0; g < 7; g++) {
      assertTrue(all.trains(g, 7, 1));
      assertEquals(1f, all.scale(g, 7));
    }
    assertEquals("all 7 groups", all.describe(7));
  }

  @Test
  void fineTuningUnfreezesTheTopGroupsWithLayerDecay() {
    GroupPlan half = new GroupPlan(GroupPlan.HALF, 0.5f, false);
    assertEquals(4, half.unfrozen(7));
    assertEquals(7, half.unfrozen(13));
    assertFalse(half.trains(2, 7, 1));
    assertTrue(half.trains(3, 7, 1));
    assertEquals(0.5f, half.scale(6, 7), 1e-6f, "the top group: one step below the head");
    assertEquals(0.125f, half.scale(4, 7), 1e-6f);
    GroupPlan two = new GroupPlan(2, 1f, false);
    assertEquals(2, two.trainable(7, 3));
    assertEquals(0, new GroupPlan(0, 1f, false).trainable(7, 1), "head only");
    assertEquals(7, new GroupPlan(50, 1f, false).unfrozen(7));
  }

  @Test
  void gradualUnfreezingAddsAGroupPerEpoch() {
    GroupPlan gradual = new GroupPlan(3, 0.9f, true);
    assertEquals(0, gradual.trainable(7, 1), "the head alone first");
    assertEquals(1, gradual.trainable(7, 2));
    assertEquals(3, gradual.trainable(7, 4));
    assertEquals(3, gradual.trainable(7, 9));
    assertTrue(gradual.describe(7).contains("gradually"));
  }

  @Test
  void warmUpThenDecay() {
    TransferSettings s = TransferSettings.from(hyper(Map.of()), options(Map.of()), DEFAULTS);
    LearningRates linear = new LearningRates(s, 100, Map.of("p", 0.5f));
    assertTrue(linear.factor(1) < linear.factor(10), "warming up");
    assertTrue(linear.factor(25) < 1 && linear.factor(26) > 0.98, "peak after 25% of steps");
    assertTrue(linear.factor(60) < linear.factor(40), "decaying");
    assertTrue(linear.factor(100) < 0.01, "close to 0 at the end");
    linear.step(26);
    assertEquals(linear.getNewValue("p", 1), linear.current() * 0.5, 1e-9);
    assertEquals(linear.getNewValue("head", 1), linear.current(), 1e-9);

    TransferSettings cosine = TransferSettings.from(hyper(Map.of()),
        options(Map.of("schedule", "cosine", "warmup", "0")), DEFAULTS);
    LearningRates c = new LearningRates(cosine, 100, Map.of());
    assertEquals(1, c.factor(1), 0.01);
    assertEquals(0.5, c.factor(50), 0.02);
    TransferSettings constant = TransferSettings.from(hyper(Map.of()),
        options(Map.of("schedule", "constant", "warmup", "0")), DEFAULTS);
    assertEquals(1, new LearningRates(constant, 100, Map.of()).factor(90), 1e-9);
  }

  @Test
  void settingsTakeTheJobsValuesOrTheDefaults() {
    TransferSettings d = TransferSettings.from(hyper(Map.of()), options(Map.of()), DEFAULTS);
    assertEquals(4, d.epochs());
    assertEquals(16, d.batchSize());
    assertEquals(42L, d.seed());
    assertEquals(10f, d.headScale());
    TransferSettings s = TransferSettings.from(new Hyperparameters(2, 8, 3e-5f, 0, 1, 9, Map.of()),
        options(Map.of("clip_norm", "0", "head_dropout", "0.3")), DEFAULTS);
    assertEquals(2, s.epochs());
    assertEquals(3e-5f, s.learningRate());
    assertEquals(0f, s.clipNorm());
    assertEquals(0.3f, s.headDropout());
    assertTrue(s.describe().contains("clip off"));
  }

  @Test
  void badValuesNameTheirField() {
    for (Map<String, String> bad : java.util.List.of(Map.of("warmup", "0.6"),
        Map.of("schedule", "steps"), Map.of("clip_norm", "x"), Map.of("head_dropout", "1"),
        Map.of("head_lr_scale", "-2"))) {
      GraftException e = assertThrows(GraftException.class,
          () -> TransferSettings.from(hyper(Map.of()), options(bad), DEFAULTS));
      assertEquals(ErrorKind.INVALID_ARGUMENT, e.kind());
      assertEquals("INVALID_HYPERPARAMETER", e.reason());
      assertEquals("hyperparameters.extra[" + bad.keySet().iterator().next() + "]", e.field());
    }
    GraftException lr = assertThrows(GraftException.class, () -> TransferSettings.from(
        new Hyperparameters(0, 0, 5f, 0, 0, 0, Map.of()), options(Map.of()), DEFAULTS));
    assertEquals("hyperparameters.learning_rate", lr.field());
  }

  @Test
  void optionsTheStrategyDoesNotOwnGoToTheBackbone() {
    StrategyOptions o = new StrategyOptions(
        Map.of("warmup", "0.1", "layer", "encoder.3", "max_tokens", "64"), TransferSettings.KEYS);
    assertEquals(Map.of("layer", "encoder.3", "max_tokens", "64"), o.backboneOptions());
    assertTrue(o.flag("absent", true));
    assertEquals("b", o.choice("absent", "b", Set.of("a", "b")));
  }

  @Test
  void aBaseModelsRecommendedDefaultsApplyUnlessTheJobSaysOtherwise() {
    BaseModel cnn = new BaseModel("cnn", Path.of("."), "torchscript", Map.of(
        "fine-tuning.learning_rate", "1e-3", "fine-tuning.epochs", "10",
        "fine-tuning.early_stopping_patience", "3", "knowledge-transfer.epochs", "7"));
    TransferSettings.Defaults ft = DEFAULTS.recommendedBy(cnn, "fine-tuning");
    TransferSettings s = TransferSettings.from(hyper(Map.of()), options(Map.of()), ft);
    assertEquals(1e-3f, s.learningRate(), 1e-9f);
    assertEquals(10, s.epochs());
    assertEquals(3, s.patience());
    assertEquals(16, s.batchSize(), "not recommended: the strategy's own default");
    TransferSettings mine = TransferSettings.from(
        new Hyperparameters(2, 0, 5e-5f, 0, 0, 0, Map.of()), options(Map.of()), ft);
    assertEquals(2, mine.epochs(), "the job's own value wins");
    assertEquals(5e-5f, mine.learningRate(), 1e-12f);
    assertEquals(DEFAULTS, DEFAULTS.recommendedBy(new BaseModel("bert", Path.of("."), "onnx",
        Map.of()), "fine-tuning"), "no recommendation: unchanged");

    BaseModel bad = new BaseModel("bad", Path.of("."), "onnx",
        Map.of("fine-tuning.learning_rate", "fast"));
    GraftException e = assertThrows(GraftException.class,
        () -> DEFAULTS.recommendedBy(bad, "fine-tuning"));
    assertEquals(ErrorKind.FAILED_PRECONDITION, e.kind());
    assertEquals("BAD_MODEL_PROPERTIES", e.reason());
    GraftException range = assertThrows(GraftException.class, () -> DEFAULTS.recommendedBy(
        new BaseModel("big", Path.of("."), "onnx", Map.of("fine-tuning.batch_size", "5000")),
        "fine-tuning"));
    assertEquals("BAD_MODEL_PROPERTIES", range.reason());
    assertTrue(range.getMessage().contains("fine-tuning.batch_size=5000"), range.getMessage());
  }

  static Hyperparameters hyper(Map<String, String> extra) {
    return new Hyperparameters(0, 0, 0, 0, 0, 0, extra);
  }

  static StrategyOptions options(Map<String, String> extra) {
    return new StrategyOptions(extra, TransferSettings.KEYS);
  }
}
