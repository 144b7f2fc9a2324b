package dev.graft.plugins.nlp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import dev.graft.spi.ErrorKind;
import dev.graft.spi.FeatureRequest;
import dev.graft.spi.GraftException;
import dev.graft.spi.ModelInput;
import dev.graft.spi.Pooling;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Behaviour of the ONNX text encoder on the built-in MiniLM, loaded once for the class. */
class OnnxTextEncoderTest {

  private static final FeatureRequest MEAN = new FeatureRequest("", Pooling.MEAN, false);

  @TempDir
  static Path dir;

  private static OnnxTextEncoder encoder;

  @BeforeAll
  static void open() throws Exception {
    encoder = OnnxTextEncoder.open(BuiltinFixture.materialize(dir.resolve("minilm")), Device.cpu());
  }

  @AfterAll
  static void close() {
    encoder.close();
  }

  private static List<ModelInput> texts(int count) {
    List<ModelInput> inputs = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      inputs.add(new ModelInput.Text("sentence number " + i + " " + "word ".repeat(i % 13)));
    }
    return inputs;
  }

  private static float[] one(ModelInput input, FeatureRequest request) {
    return encoder.extract(List.of(input), request)[0];
  }

  @Test
  void describesItself() {
    assertEquals(384, encoder.dimension());
    assertEquals(List.of("encoder.5", "encoder.0", "encoder.1", "encoder.2", "encoder.3",
        "encoder.4"), encoder.layers());
    assertEquals("encoder.5", encoder.defaultLayer());
    assertEquals(Pooling.MEAN, encoder.defaultPooling());
  }

  @Test
  void defaultPoolingIsMeanAndNormalizeIsL2() {
    ModelInput text = new ModelInput.Text("Pooling decides the sentence vector.");
    float[] mean = one(text, MEAN);
    float[] byDefault = one(text, FeatureRequest.defaults());
    assertArrayEquals(mean, byDefault, 1e-6f);
    assertTrue(Math.abs(BuiltinFixture.norm(mean) - 1.0) > 1e-3, "raw mean is not unit length");

    float[] normalized = one(text, new FeatureRequest("", Pooling.MEAN, true));
    assertEquals(1.0, BuiltinFixture.norm(normalized), 1e-5);
    double norm = BuiltinFixture.norm(mean);
    for (int i = 0; i < mean.length; i++) {
      assertEquals(mean[i] / norm, normalized[i], 1e-5);
    }
  }

  @Test
  void poolingsDiffer() {
    ModelInput text = new ModelInput.Text("Pooling decides the sentence vector.");
    float[] mean = one(text, MEAN);
    float[] cls = one(text, new FeatureRequest("", Pooling.CLS, false));
    float[] max = one(text, new FeatureRequest("", Pooling.MAX, false));
    assertEquals(384, cls.length);
    assertEquals(384, max.length);
    assertTrue(BuiltinFixture.cosine(mean, cls) < 0.999);
    assertTrue(BuiltinFixture.cosine(mean, max) < 0.999);
    for (int i = 0; i < mean.length; i++) {
      assertTrue(max[i] >= mean[i] - 1e-5, "max >= mean in every dimension");
      assertTrue(max[i] >= cls[i] - 1e-5, "max >= the CLS token in every dimension");
    }
  }

  @Test
  void layerNamesAndErrors() {
    ModelInput text = new ModelInput.Text("layers");
    float[] byDefault = one(text, MEAN);
    assertArrayEquals(byDefault, one(text, new FeatureRequest("encoder.5", Pooling.MEAN, false)));
    assertArrayEquals(
        byDefault, one(text, new FeatureRequest("last_hidden_state", Pooling.MEAN, false)));

    // Earlier layers come from the rebuilt block; each differs from the last and from the others.
    float[] third = one(text, new FeatureRequest("encoder.2", Pooling.MEAN, false));
    float[] first = one(text, new FeatureRequest("encoder.0", Pooling.MAX, false));
    assertEquals(384, third.length);
    assertTrue(BuiltinFixture.cosine(third, byDefault) < 0.99);
    assertTrue(BuiltinFixture.cosine(third, first) < 0.99);
    float[][] batch = encoder.extract(List.of(text, new ModelInput.Text("a longer second text")),
        new FeatureRequest("encoder.2", Pooling.MEAN, false));
    assertArrayEquals(third, batch[0], 1e-5f);

    for (String bad : List.of("encoder.6", "pooler", "encoder.", "encoder.-1")) {
      GraftException unknown = assertThrows(GraftException.class,
          () -> one(text, new FeatureRequest(bad, Pooling.MEAN, false)));
      assertEquals(ErrorKind.INVALID_ARGUMENT, unknown.kind(), bad);
      assertEquals("UNKNOWN_LAYER", unknown.reason());
      assertEquals("layer", unknown.field());
      assertTrue(unknown.getMessage().contains("encoder.5"), unknown.getMessage());
    }
  }

  @Test
  void pairsUseSegmentsAndMixWithSinglesInOneBatch() {
    ModelInput pair = new ModelInput.Text("A man plays a guitar.", "Someone makes music.");
    ModelInput joined = new ModelInput.Text("A man plays a guitar. Someone makes music.");
    ModelInput single = new ModelInput.Text("A much longer single sentence that pads the pair in its batch.");
    float[] pairAlone = one(pair, MEAN);
    assertTrue(BuiltinFixture.cosine(pairAlone, one(joined, MEAN)) < 0.9999,
        "a pair is encoded as two segments, not as one text");

    float[][] mixed = encoder.extract(List.of(pair, single, joined), MEAN);
    assertTrue(BuiltinFixture.cosine(pairAlone, mixed[0]) > 0.99999);
    assertTrue(BuiltinFixture.cosine(one(single, MEAN), mixed[1]) > 0.99999);
    assertTrue(BuiltinFixture.cosine(one(joined, MEAN), mixed[2]) > 0.99999);
  }

  @Test
  void emptyAndOverlongTextsAreEncoded() {
    float[] empty = one(new ModelInput.Text(""), new FeatureRequest("", Pooling.MEAN, true));
    assertEquals(384, empty.length);
    assertEquals(1.0, BuiltinFixture.norm(empty), 1e-5);

    String longText = "token ".repeat(2000);
    float[] truncated = one(new ModelInput.Text(longText), MEAN);
    float[] shorter = one(new ModelInput.Text("token ".repeat(400)), MEAN);
    assertArrayEquals(truncated, shorter, 1e-5f, "both truncated to max_tokens=256");
  }

  @Test
  void largeBatchesAreChunkedAndKeepOrder() {
    List<ModelInput> inputs = texts(75);
    float[][] batched = encoder.extract(inputs, MEAN);
    assertEquals(75, batched.length);
    for (int i : new int[] {0, 31, 32, 33, 64, 74}) {
      float[] alone = one(inputs.get(i), MEAN);
      assertTrue(BuiltinFixture.cosine(alone, batched[i]) > 0.99999, "input " + i);
    }
    assertEquals(0, encoder.extract(List.of(), MEAN).length);
  }

  @Test
  void chunksEndBeforePaddingExceedsTheBudgetOrTheChunkSize() {
    int[] same = new int[70];
    java.util.Arrays.fill(same, 12);
    assertEquals(OnnxTextEncoder.CHUNK, OnnxTextEncoder.chunkEnd(same, 0), "equal lengths fill a whole chunk");
    assertEquals(70, OnnxTextEncoder.chunkEnd(same, 64));
    int[] mixed = {5, 6, 6, 7, 30, 31, 60};
    assertEquals(4, OnnxTextEncoder.chunkEnd(mixed, 0), "30 tokens would pad 5 texts to 150 positions for 54 tokens");
    assertEquals(6, OnnxTextEncoder.chunkEnd(mixed, 4));
    assertEquals(7, OnnxTextEncoder.chunkEnd(mixed, 6), "a chunk holds at least one text");
  }

  @Test
  void textsOfMixedLengthsComeBackInTheirOwnOrder() {
    // long, short, long, short...: ordered by length inside, answered in the caller's order
    List<ModelInput> inputs = new java.util.ArrayList<>();
    for (int i = 0; i < 40; i++) {
      inputs.add(new ModelInput.Text(i % 2 == 0 ? "word " .repeat(60 + i) + i : "short " + i));
    }
    float[][] batched = encoder.extract(inputs, MEAN);
    for (int i = 0; i < inputs.size(); i++) {
      assertTrue(BuiltinFixture.cosine(one(inputs.get(i), MEAN), batched[i]) > 0.99999, "input " + i);
    }
  }

  @Test
  void concurrentExtractionGivesTheSerialVectors() throws Exception {
    List<ModelInput> inputs = texts(40);
    float[][] serial = encoder.extract(inputs, MEAN);
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<float[][]>> futures = new ArrayList<>();
      for (int t = 0; t < 6; t++) {
        futures.add(pool.submit(() -> encoder.extract(inputs, MEAN)));
      }
      for (Future<float[][]> future : futures) {
        float[][] parallel = future.get();
        assertEquals(serial.length, parallel.length);
        for (int i = 0; i < serial.length; i++) {
          assertArrayEquals(serial[i], parallel[i], 1e-5f, "input " + i);
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void nonTextInputIsRefusedWithItsField() {
    List<ModelInput> inputs = List.of(
        new ModelInput.Text("fine"), new ModelInput.Series(new float[] {1, 2, 3}, 1));
    GraftException e = assertThrows(GraftException.class, () -> encoder.extract(inputs, MEAN));
    assertEquals(ErrorKind.INVALID_ARGUMENT, e.kind());
    assertEquals("inputs[1]", e.field());
    assertEquals("UNSUPPORTED_INPUT_KIND", e.reason());
    assertNotEquals("", e.getMessage());
  }
}
