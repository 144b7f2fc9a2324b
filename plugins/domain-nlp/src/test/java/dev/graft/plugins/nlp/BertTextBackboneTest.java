package dev.graft.plugins.nlp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import dev.graft.plugins.nlp.testing.TinyOnnx;
import dev.graft.spi.BaseModel;
import dev.graft.spi.ErrorKind;
import dev.graft.spi.FeatureRequest;
import dev.graft.spi.GraftException;
import dev.graft.spi.ModelInput;
import dev.graft.spi.ParameterGroup;
import dev.graft.spi.Pooling;
import dev.graft.spi.TrainableBackbone;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The trainable copy of the built-in MiniLM: options, groups, inputs, features and weights. */
class BertTextBackboneTest {
  @TempDir static Path dir;
  private static OnnxTextEncoder encoder;

  @BeforeAll
  static void open() throws Exception {
    encoder = OnnxTextEncoder.open(BuiltinFixture.materialize(dir.resolve("minilm")), Device.cpu());
  }

  @AfterAll
  static void close() {
    encoder.close();
  }

  private static float[] pooled(TrainableBackbone backbone, List<ModelInput> inputs) {
    try (NDManager scope = backbone.manager().newSubManager()) {
      NDList in = backbone.inputs(scope, inputs);
      return backbone.block().forward(new ParameterStore(scope, false), in, false)
          .singletonOrThrow().toFloatArray();
    }
  }

  @Test
  void featuresMatchExtractForTheSameLayerAndPooling() {
    List<ModelInput> texts = List.of(new ModelInput.Text("The staff were friendly."),
        new ModelInput.Text("Is it good?", "It is very good."));
    try (TrainableBackbone backbone = encoder.openTrainable(Device.cpu(),
        Map.of("layer", "encoder.3", "pooling", "cls"))) {
      assertEquals(384, backbone.dimension());
      List<ParameterGroup> groups = backbone.groups();
      assertEquals(List.of("embeddings", "encoder.0", "encoder.1", "encoder.2", "encoder.3"),
          groups.stream().map(ParameterGroup::name).toList());
      assertEquals(16, groups.get(1).parameters().size());
      assertEquals(Map.of("layer", "encoder.3", "pooling", "cls", "max_tokens", "256",
          "truncation", "longest_first"), backbone.options());
      float[] features = pooled(backbone, texts);
      float[][] expected = encoder.extract(texts, new FeatureRequest("encoder.3", Pooling.CLS, false));
      for (int i = 0; i < 2; i++) {
        float[] row = new float[384];
        System.arraycopy(features, i * 384, row, 0, 384);
        assertArrayEquals(expected[i], row, 1e-4f);
      }
    }
  }

  @Test
  void defaultsAreTheLastLayerAndTheModelsPooling() {
    List<ModelInput> text = List.of(new ModelInput.Text("defaults"));
    try (TrainableBackbone backbone = encoder.openTrainable(Device.cpu(), Map.of())) {
      assertEquals(7, backbone.groups().size());
      assertEquals("mean", backbone.options().get("pooling"));
      assertArrayEquals(encoder.extract(text, FeatureRequest.defaults())[0], pooled(backbone, text),
          1e-4f);
    }
  }

  @Test
  void maxTokensAndTruncationShapeTheInputs() {
    String longText = "word ".repeat(100);
    try (TrainableBackbone backbone = encoder.openTrainable(Device.cpu(),
        Map.of("max_tokens", "16"))) {
      try (NDManager scope = backbone.manager().newSubManager()) {
        NDList in = backbone.inputs(scope, List.of(new ModelInput.Text(longText)));
        assertEquals(3, in.size());
        assertEquals(16, in.get(0).getShape().get(1));
      }
    }
    try (TrainableBackbone strict = encoder.openTrainable(Device.cpu(),
        Map.of("max_tokens", "16", "truncation", "none"))) {
      try (NDManager scope = strict.manager().newSubManager()) {
        GraftException e = assertThrows(GraftException.class, () -> strict.inputs(scope,
            List.of(new ModelInput.Text("short"), new ModelInput.Text(longText))));
        assertEquals("INPUT_TOO_LONG", e.reason());
        assertEquals("inputs[1]", e.field());
      }
    }
  }

  @Test
  void badOptionsNameTheirField() {
    for (Map<String, String> bad : List.of(Map.of("layer", "encoder.9"), Map.of("pooling", "sum"),
        Map.of("max_tokens", "1"), Map.of("max_tokens", "9999"), Map.of("truncation", "some"),
        Map.of("colour", "red"))) {
      GraftException e = assertThrows(GraftException.class,
          () -> encoder.openTrainable(Device.cpu(), bad).close());
      assertEquals(ErrorKind.INVALID_ARGUMENT, e.kind(), bad.toString());
      String key = bad.keySet().iterator().next();
      assertEquals("hyperparameters.extra[" + key + "]", e.field());
    }
  }

  @Test
  void parametersSaveAndLoad() throws Exception {
    List<ModelInput> text = List.of(new ModelInput.Text("weights round trip"));
    try (TrainableBackbone backbone = encoder.openTrainable(Device.cpu(),
        Map.of("layer", "encoder.1"))) {
      float[] before = pooled(backbone, text);
      ByteArrayOutputStream saved = new ByteArrayOutputStream();
      backbone.saveParameters(saved);
      NDArray bias = backbone.groups().get(2).parameters().get(1).getArray();
      bias.set(new float[384]);
      assertNotEquals(before[0], pooled(backbone, text)[0]);
      backbone.loadParameters(new ByteArrayInputStream(saved.toByteArray()));
      assertArrayEquals(before, pooled(backbone, text), 1e-6f);
      try (TrainableBackbone other = encoder.openTrainable(Device.cpu(), Map.of())) {
        GraftException e = assertThrows(GraftException.class,
            () -> other.loadParameters(new ByteArrayInputStream(saved.toByteArray())));
        assertEquals("CORRUPT_WEIGHTS", e.reason());
      }
    }
  }

  @Test
  void aGraphThatIsNotBertShapedServesExtractButCannotTrain() throws Exception {
    Path tiny = dir.resolve("tiny");
    Files.createDirectories(tiny);
    TinyOnnx.write(tiny.resolve(OnnxTextEncoder.MODEL_FILE), 30522, 8);
    Files.copy(dir.resolve("minilm").resolve(OnnxTextEncoder.TOKENIZER_FILE),
        tiny.resolve(OnnxTextEncoder.TOKENIZER_FILE));
    BaseModel base = new BaseModel("tiny@1", tiny, "onnx", Map.of());
    try (OnnxTextEncoder lookup = OnnxTextEncoder.open(base, Device.cpu())) {
      assertEquals(8, lookup.dimension());
      assertEquals(List.of("last_hidden_state"), lookup.layers());
      assertEquals(8, lookup.extract(List.of(new ModelInput.Text("hello")),
          FeatureRequest.defaults())[0].length);
      GraftException e = assertThrows(GraftException.class,
          () -> lookup.openTrainable(Device.cpu(), Map.of()));
      assertEquals(ErrorKind.FAILED_PRECONDITION, e.kind());
      assertEquals("NOT_BERT_SHAPED", e.reason());
      assertTrue(e.getMessage().contains("embeddings.word_embeddings.weight"), e.getMessage());
      GraftException intermediate = assertThrows(GraftException.class, () -> lookup.extract(
          List.of(new ModelInput.Text("x")), new FeatureRequest("encoder.0", Pooling.MEAN, false)));
      assertEquals("INTERMEDIATE_LAYER_UNAVAILABLE", intermediate.reason());
    }
  }
}
