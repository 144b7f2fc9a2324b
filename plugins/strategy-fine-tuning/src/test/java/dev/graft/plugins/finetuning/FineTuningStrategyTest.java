package dev.graft.plugins.finetuning;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import dev.graft.plugins.trainingkit.TransferModel;
import dev.graft.plugins.trainingkit.testing.TextContext;
import dev.graft.plugins.trainingkit.testing.Texts;
import dev.graft.spi.Backbone;
import dev.graft.spi.BaseModel;
import dev.graft.spi.ErrorKind;
import dev.graft.spi.Example;
import dev.graft.spi.GraftException;
import dev.graft.spi.Hyperparameters;
import dev.graft.spi.LoadContext;
import dev.graft.spi.ModelInput;
import dev.graft.spi.ParameterGroup;
import dev.graft.spi.Task;
import dev.graft.spi.TaskSpec;
import dev.graft.spi.TrainOutcome;
import dev.graft.spi.TrainableBackbone;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Fine-tuning the built-in MiniLM on a few sentences (CPU, max_tokens 16). */
class FineTuningStrategyTest {
  static final TaskSpec SENTIMENT = new TaskSpec(Task.CLASSIFICATION, List.of("negative", "positive"));
  @TempDir static Path root;
  static BaseModel base;
  static Backbone backbone;
  final FineTuningStrategy strategy = new FineTuningStrategy();

  @BeforeAll
  static void open() throws Exception {
    base = Texts.builtin("minilm-l6", root.resolve("minilm"));
    backbone = Texts.open(base);
  }

  @AfterAll
  static void close() {
    backbone.close();
  }

  static Hyperparameters hyper(int epochs, Map<String, String> extra) {
    return new Hyperparameters(epochs, 8, 0, 0, 0, 7, extra);
  }

  TextContext context(String job, Hyperparameters h) throws Exception {
    List<Example> all = Texts.sentiment();
    return new TextContext(root, job, backbone, base, SENTIMENT, all.subList(0, 16),
        all.subList(16, 24), h);
  }

  @Test
  void trainsOnlyTheTopGroupsAndServesTheModel() throws Exception {
    TextContext ctx = context("job-top2", hyper(2, Map.of("unfreeze", "2", "max_tokens", "16")));
    TrainOutcome outcome = strategy.train(ctx);

    assertEquals(2, ctx.epochs.size());
    for (var metrics : ctx.epochs) {
      for (String name : List.of("accuracy", "macro_f1", "loss")) {
        assertFalse(Double.isNaN(TextContext.metric(metrics, name, "validation")), name);
      }
      assertFalse(Double.isNaN(TextContext.metric(metrics, "loss", "train")));
    }
    assertEquals(4, ctx.steps.size(), "2 epochs of 2 steps, each reported");
    assertEquals("encoder.4,encoder.5", outcome.properties().get("trained_groups"));
    assertEquals("16", outcome.properties().get("backbone.max_tokens"));
    for (String f : List.of("encoder.params", "head.params", "transfer.json")) {
      assertTrue(Files.isRegularFile(ctx.output.resolve(f)), f);
    }
    assertTrue(Files.isRegularFile(ctx.checkpoints.resolve("last/encoder.params")));
    assertTrue(Files.isRegularFile(ctx.checkpoints.resolve("best/checkpoint.json")));

    // Frozen groups keep their pretrained weights; the unfrozen ones moved.
    try (TrainableBackbone pretrained = backbone.openTrainable(Device.cpu(),
            Map.of("max_tokens", "16"));
        TrainableBackbone tuned = backbone.openTrainable(Device.cpu(), Map.of("max_tokens", "16"))) {
      try (InputStream in = Files.newInputStream(ctx.output.resolve("encoder.params"))) {
        tuned.loadParameters(in);
      }
      for (int g = 0; g < 7; g++) {
        boolean same = same(pretrained.groups().get(g), tuned.groups().get(g));
        assertEquals(g < 5, same, pretrained.groups().get(g).name());
      }
    }

    try (var model = strategy.load(new LoadContext("sentiment@1", ctx.output, SENTIMENT,
        outcome.properties(), backbone, Device.cpu()))) {
      assertTrue(model instanceof TransferModel);
      float[][] p = model.predict(List.of(new ModelInput.Text("I loved it, wonderful"),
          new ModelInput.Text("awful and rude")));
      assertEquals(2, p[0].length);
      assertEquals(1.0, p[0][0] + p[0][1], 1e-5);
      GraftException bad = assertThrows(GraftException.class, () -> model.predict(List.of(
          new ModelInput.Text("fine"), new ModelInput.Series(new float[] {1f}, 1))));
      assertEquals("inputs[1]", bad.field());
    }
  }

  private static boolean same(ParameterGroup a, ParameterGroup b) {
    for (int i = 0; i < a.parameters().size(); i++) {
      float[] x = a.parameters().get(i).getArray().toFloatArray();
      float[] y = b.parameters().get(i).getArray().toFloatArray();
      for (int k = 0; k < x.length; k++) {
        if (x[k] != y[k]) {
          return false;
        }
      }
    }
    return true;
  }

  @Test
  void refusesABackboneThatCannotTrainWithItsReason() throws Exception {
    Backbone frozen = new Backbone() {
      @Override public List<String> layers() { return List.of("out"); }
      @Override public int dimension() { return 4; }
      @Override public float[][] extract(List<ModelInput> in, dev.graft.spi.FeatureRequest r) {
        return new float[in.size()][4];
      }
      @Override public void close() {}
    };
    TextContext ctx = new TextContext(root, "job-frozen", frozen, base, SENTIMENT,
        Texts.sentiment(), List.of(), hyper(1, Map.of()));
    GraftException e = assertThrows(GraftException.class, () -> strategy.train(ctx));
    assertEquals(ErrorKind.FAILED_PRECONDITION, e.kind());
    assertEquals("TRAINABLE_BACKBONE_REQUIRED", e.reason());
  }

  @Test
  void badOptionsAreRefusedBeforeTheJobExists() {
    for (Map<String, String> bad : List.of(Map.of("unfreeze", "some"), Map.of("unfreeze", "-1"),
        Map.of("layer_decay", "0"),
        Map.of("gradual_unfreeze", "maybe"), Map.of("warmup", "0.9"), Map.of("schedule", "step"),
        Map.of("clip_norm", "-1"), Map.of("head_lr_scale", "0"))) {
      GraftException e = assertThrows(GraftException.class,
          () -> strategy.validate(hyper(1, bad), SENTIMENT));
      assertEquals(ErrorKind.INVALID_ARGUMENT, e.kind());
      assertEquals("hyperparameters.extra[" + bad.keySet().iterator().next() + "]", e.field());
    }
    GraftException epochs = assertThrows(GraftException.class, () -> strategy.validate(
        new Hyperparameters(500_000, 0, 0, 0, 0, 0, Map.of()), SENTIMENT));
    assertEquals("hyperparameters.epochs", epochs.field());
    strategy.validate(hyper(1, Map.of("unfreeze", "all", "layer", "encoder.3")), SENTIMENT);
  }

  @Test
  void aBackboneOptionIsCheckedWhenTheJobStarts() throws Exception {
    TextContext ctx = context("job-badlayer", hyper(1, Map.of("layer", "encoder.9")));
    GraftException e = assertThrows(GraftException.class, () -> strategy.train(ctx));
    assertEquals(ErrorKind.INVALID_ARGUMENT, e.kind());
    assertEquals("hyperparameters.extra[layer]", e.field());
  }

  static float[] floats(float... v) {
    return v;
  }

  static void assertClose(float[] a, float[] b) {
    assertArrayEquals(a, b, 1e-5f);
  }
}
