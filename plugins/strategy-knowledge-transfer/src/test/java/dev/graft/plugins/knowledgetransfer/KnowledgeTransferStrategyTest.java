package dev.graft.plugins.knowledgetransfer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
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

/** Knowledge transfer trains every group of the built-in MiniLM (CPU, a few sentences). */
class KnowledgeTransferStrategyTest {
  static final TaskSpec SENTIMENT =
      new TaskSpec(Task.CLASSIFICATION, List.of("negative", "positive"));
  @TempDir static Path root;
  static BaseModel base;
  static Backbone backbone;
  final KnowledgeTransferStrategy strategy = new KnowledgeTransferStrategy();

  @BeforeAll
  static void open() throws Exception {
    base = Texts.builtin("minilm-l6", root.resolve("minilm"));
    backbone = Texts.open(base);
  }

  @AfterAll
  static void close() {
    backbone.close();
  }

  @Test
  void everyGroupTrainsAndTheModelServes() throws Exception {
    List<Example> all = Texts.sentiment();
    TextContext ctx = new TextContext(root, "job-kt", backbone, base, SENTIMENT,
        all.subList(0, 16), all.subList(16, 24), new Hyperparameters(1, 8, 0, 0, 0, 3,
            Map.of("max_tokens", "16", "layer", "encoder.4", "pooling", "cls")));
    TrainOutcome outcome = strategy.train(ctx);
    assertEquals("embeddings,encoder.0,encoder.1,encoder.2,encoder.3,encoder.4",
        outcome.properties().get("trained_groups"));
    assertEquals("cls", outcome.properties().get("backbone.pooling"));
    assertEquals(1, ctx.epochs.size());
    assertFalse(Double.isNaN(TextContext.metric(ctx.epochs.get(0), "macro_f1", "validation")));
    assertTrue(ctx.messages.stream().noneMatch(m -> m.startsWith("linear probe")),
        "knowledge transfer starts from a random head by default");

    Map<String, String> options = Map.of("max_tokens", "16", "layer", "encoder.4", "pooling", "cls");
    try (TrainableBackbone pretrained = backbone.openTrainable(Device.cpu(), options);
        TrainableBackbone tuned = backbone.openTrainable(Device.cpu(), options)) {
      try (InputStream in = Files.newInputStream(ctx.output.resolve("encoder.params"))) {
        tuned.loadParameters(in);
      }
      for (int g = 0; g < tuned.groups().size(); g++) {
        float[] a = pretrained.groups().get(g).parameters().get(0).getArray().toFloatArray();
        float[] b = tuned.groups().get(g).parameters().get(0).getArray().toFloatArray();
        assertFalse(java.util.Arrays.equals(a, b), tuned.groups().get(g).name() + " trained");
      }
    }
    try (var model = strategy.load(new LoadContext("kt@1", ctx.output, SENTIMENT,
        outcome.properties(), backbone, Device.cpu()))) {
      float[][] p = model.predict(List.of(new ModelInput.Text("lovely"),
          new ModelInput.Text("Was it good?", "It was awful.")));
      assertEquals(2, p.length);
      assertEquals(1.0, p[1][0] + p[1][1], 1e-5);
    }
  }

  @Test
  void refusesBadOptionsAtOnce() {
    GraftException e = assertThrows(GraftException.class, () -> strategy.validate(
        new Hyperparameters(0, 0, 0, 0, 0, 0, Map.of("linear_probe", "perhaps")), SENTIMENT));
    assertEquals(ErrorKind.INVALID_ARGUMENT, e.kind());
    assertEquals("hyperparameters.extra[linear_probe]", e.field());
  }
}
