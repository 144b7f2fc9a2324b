package dev.graft.plugins.nlp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import dev.graft.spi.BaseModel;
import dev.graft.spi.BuiltinModel;
import dev.graft.spi.ErrorKind;
import dev.graft.spi.FeatureRequest;
import dev.graft.spi.GraftException;
import dev.graft.spi.ModelInput;
import dev.graft.spi.Pooling;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The built-in {@code minilm-l6-q} (all-MiniLM-L6-v2 with int8 dynamic quantisation): it opens on
 * ONNX Runtime, gives 384-dim unit vectors close to fp32 {@code minilm-l6}'s, and, its graph not
 * being rebuildable, refuses earlier layers and a trainable copy with precise reasons.
 */
class QuantizedMiniLmTest {

  @TempDir
  static Path dir;

  private static OnnxTextEncoder quantized;
  private static OnnxTextEncoder fp32;

  @BeforeAll
  static void open() throws Exception {
    quantized = OnnxTextEncoder.open(
        BuiltinFixture.materialize(BuiltinEncoders.MINILM_Q, dir.resolve("q"), Map.of()),
        Device.cpu());
    fp32 = OnnxTextEncoder.open(BuiltinFixture.materialize(dir.resolve("fp32")), Device.cpu());
  }

  @AfterAll
  static void close() {
    quantized.close();
    fp32.close();
  }

  @Test
  void isDeclaredLikeMiniLmWithItsOwnFiles() throws Exception {
    BuiltinModel q = new NlpDomain().builtinModels().stream()
        .filter(b -> b.name().equals("minilm-l6-q")).findFirst().orElseThrow();
    assertEquals("onnx", q.format());
    assertEquals("OnnxRuntime", q.engine());
    assertEquals(256, q.maxTokens());
    assertEquals("mean", q.properties().get("pooling"));
    assertEquals("384", q.properties().get("hidden_size"));
    assertEquals("6", q.properties().get("layers"));
    assertTrue(q.properties().get("source").contains("int8 dynamic quantisation"),
        q.properties().toString());
    Map<String, Long> expected = Map.of("model.onnx", 22_972_370L, "tokenizer.json", 711_661L);
    for (BuiltinModel.File file : q.files()) {
      try (InputStream in = file.opener().open()) {
        assertEquals(expected.get(file.name()), in.transferTo(OutputStream.nullOutputStream()),
            file.name());
      }
    }
  }

  @Test
  void servesItsLastLayerAsUnitVectors() {
    assertEquals(384, quantized.dimension());
    assertEquals(Pooling.MEAN, quantized.defaultPooling());
    assertEquals(List.of("encoder.5"), quantized.layers());
    float[][] v = quantized.extract(
        List.of(new ModelInput.Text("hello world"), new ModelInput.Text("Crust is not good."),
            new ModelInput.Text("")),
        new FeatureRequest("", Pooling.DEFAULT, true));
    assertEquals(3, v.length);
    for (float[] row : v) {
      assertEquals(384, row.length);
      assertEquals(1.0, BuiltinFixture.norm(row), 1e-4);
    }
    List<ModelInput> hello = List.of(new ModelInput.Text("hello world"));
    float[] dflt = quantized.extract(hello, new FeatureRequest("", Pooling.DEFAULT, true))[0];
    float[] named =
        quantized.extract(hello, new FeatureRequest("encoder.5", Pooling.MEAN, true))[0];
    float[] alias =
        quantized.extract(hello, new FeatureRequest("last_hidden_state", Pooling.MEAN, true))[0];
    assertEquals(1.0, BuiltinFixture.cosine(dflt, named), 1e-6);
    assertEquals(1.0, BuiltinFixture.cosine(dflt, alias), 1e-6);
  }

  /**
   * Dynamic quantisation scales activations per tensor, i.e. over the whole batch (padding
   * included), so a text's int8 vector depends a little on the texts it is batched with; fp32's
   * does not (beyond rounding). Measured, with loose bounds.
   */
  @Test
  void batchMatesMoveTheInt8VectorsALittle() throws Exception {
    List<ModelInput> sentences = SentimentSentences.load(64);
    FeatureRequest request = new FeatureRequest("", Pooling.DEFAULT, true);
    double[] q = alongsideVsAlone(quantized, sentences, request);
    double[] f = alongsideVsAlone(fp32, sentences, request);
    System.out.printf(java.util.Locale.ROOT,
        "batch of 32 vs alone over %d sentences: minilm-l6-q mean cosine %.4f (min %.4f),"
            + " minilm-l6 mean %.6f (min %.6f)%n", sentences.size(), q[0], q[1], f[0], f[1]);
    assertTrue(f[1] > 0.9999, "fp32 min cosine " + f[1]);
    assertTrue(q[0] >= 0.95, "int8 mean cosine " + q[0]);
    assertTrue(q[1] < 0.9999, "int8 vectors expected to move with their batch, min " + q[1]);
  }

  private static double[] alongsideVsAlone(OnnxTextEncoder encoder, List<ModelInput> sentences,
      FeatureRequest request) {
    float[][] batched = encoder.extract(sentences, request);
    double sum = 0;
    double min = 1;
    for (int i = 0; i < sentences.size(); i++) {
      double c = BuiltinFixture.cosine(batched[i],
          encoder.extract(List.of(sentences.get(i)), request)[0]);
      sum += c;
      min = Math.min(min, c);
    }
    return new double[] {sum / sentences.size(), min};
  }

  @Test
  void embeddingsAgreeWithFp32MiniLm() throws Exception {
    List<ModelInput> sentences = SentimentSentences.load(200);
    FeatureRequest request = new FeatureRequest("", Pooling.DEFAULT, true);
    float[][] q = quantized.extract(sentences, request);
    float[][] f = fp32.extract(sentences, request);
    double sum = 0;
    double min = 1;
    double sumAlone = 0;
    double minAlone = 1;
    for (int i = 0; i < q.length; i++) {
      double c = BuiltinFixture.cosine(q[i], f[i]);
      sum += c;
      min = Math.min(min, c);
      double alone = BuiltinFixture.cosine(
          quantized.extract(List.of(sentences.get(i)), request)[0], f[i]);
      sumAlone += alone;
      minAlone = Math.min(minAlone, alone);
    }
    double mean = sum / q.length;
    double meanAlone = sumAlone / q.length;
    System.out.printf(java.util.Locale.ROOT,
        "minilm-l6-q vs minilm-l6 over %d sentiment sentences: mean cosine %.4f, min %.4f"
            + " (int8 in batches of 32); %.4f, min %.4f (int8 one at a time)%n",
        q.length, mean, min, meanAlone, minAlone);
    assertEquals(200, q.length);
    assertTrue(meanAlone >= 0.95, "mean cosine one at a time " + meanAlone);
    assertTrue(mean >= 0.95, "mean cosine " + mean);
    assertTrue(min >= 0.80, "min cosine " + min);
    assertTrue(mean < 0.99999, "the int8 model should differ from fp32 at all, mean " + mean);
  }

  @Test
  void refusesEarlierLayersAndATrainableCopyPrecisely() {
    BaseModel base = new BaseModel("minilm-l6-q@1", dir.resolve("q"), "onnx", Map.of());
    try (BertRebuild rebuild = BertRebuild.inspect(base,
        base.directory().resolve(OnnxTextEncoder.MODEL_FILE), EncoderSettings.of(base))) {
      assertNull(rebuild.config(), "the int8 graph is not rebuildable");
      assertTrue(rebuild.problem().startsWith("its graph is quantised ("), rebuild.problem());
      assertTrue(rebuild.problem().contains(" MatMulInteger"), rebuild.problem());
    }
    GraftException layer = assertThrows(GraftException.class, () -> quantized.extract(
        List.of(new ModelInput.Text("x")), new FeatureRequest("encoder.2", Pooling.MEAN, false)));
    assertEquals(ErrorKind.UNIMPLEMENTED, layer.kind());
    assertEquals("INTERMEDIATE_LAYER_UNAVAILABLE", layer.reason());
    assertEquals("layer", layer.field());
    assertTrue(layer.getMessage().contains("its graph is quantised"), layer.getMessage());
    GraftException unknown = assertThrows(GraftException.class, () -> quantized.extract(
        List.of(new ModelInput.Text("x")), new FeatureRequest("encoder.6", Pooling.MEAN, false)));
    assertEquals("UNKNOWN_LAYER", unknown.reason());

    GraftException trainable = assertThrows(GraftException.class,
        () -> quantized.openTrainable(Device.cpu(), Map.of()));
    System.out.println("openTrainable(minilm-l6-q): " + trainable.getMessage());
    assertEquals(ErrorKind.FAILED_PRECONDITION, trainable.kind());
    assertEquals("NOT_BERT_SHAPED", trainable.reason());
    assertTrue(trainable.getMessage().contains("its graph is quantised"), trainable.getMessage());
    assertTrue(trainable.getMessage().contains("It still serves Extract and feature-extraction"),
        trainable.getMessage());
  }
}
