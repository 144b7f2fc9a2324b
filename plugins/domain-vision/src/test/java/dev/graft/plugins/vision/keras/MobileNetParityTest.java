package dev.graft.plugins.vision.keras;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The converted nsfwjs MobileNetV2 matches TF.js's own outputs (computed once by
 * scripts/mobilenet-reference.js, committed as mobilenet-v2-reference.json) within 1e-3, both
 * for the pooled out_relu features and for the model's 5-class softmax.
 */
class MobileNetParityTest {
  static TfjsLayersModel model;
  static JsonObject reference;

  /** The fetched model (scripts/fetch-assets), or null when it is absent. */
  static Path modelDirectory() {
    Path dir = Path.of(System.getProperty("graft.assets", "../../assets"), "nsfwjs", "mobilenet_v2");
    return Files.isRegularFile(dir.resolve("model.json")) ? dir : null;
  }

  @BeforeAll
  static void load() throws Exception {
    Path dir = modelDirectory();
    assumeTrue(dir != null, "run scripts/fetch-assets first");
    model = TfjsLayersModel.read(dir);
    try (var in = MobileNetParityTest.class.getResourceAsStream(
        "/dev/graft/plugins/vision/mobilenet-v2-reference.json")) {
      reference = JsonParser.parseReader(new InputStreamReader(in, StandardCharsets.UTF_8))
          .getAsJsonObject();
    }
  }

  static NDArray inputs(NDManager manager, int count, int size) {
    float[] data = new float[count * 3 * size * size];
    for (int n = 0; n < count; n++) {
      for (int c = 0; c < 3; c++) {
        for (int y = 0; y < size; y++) {
          for (int x = 0; x < size; x++) {
            data[((n * 3 + c) * size + y) * size + x] =
                (float) (0.5 + 0.5 * Math.sin(0.05 * (n + 1) * x + 0.07 * (c + 1) * y + n));
          }
        }
      }
    }
    return manager.create(data, new Shape(count, 3, size, size));
  }

  private static float[][] run(String layer) {
    int count = reference.get("count").getAsInt();
    int size = reference.get("size").getAsInt();
    try (NDManager manager = NDManager.newBaseManager(Engine.getEngine("PyTorch").defaultDevice(),
        "PyTorch")) {
      KerasGraphBlock block = new KerasGraphBlock(model, layer, false, false);
      block.initialize(manager, model, -1);
      NDList out = block.forward(new ParameterStore(manager, false),
          new NDList(inputs(manager, count, size)), false);
      NDArray y = out.singletonOrThrow();
      float[] flat = y.toFloatArray();
      int width = (int) y.getShape().get(1);
      float[][] rows = new float[count][width];
      for (int n = 0; n < count; n++) {
        System.arraycopy(flat, n * width, rows[n], 0, width);
      }
      return rows;
    }
  }

  private static void assertClose(String key, float[][] actual) {
    JsonArray expected = reference.getAsJsonArray(key);
    double worst = 0;
    for (int n = 0; n < expected.size(); n++) {
      JsonArray row = expected.get(n).getAsJsonArray();
      assertEquals(row.size(), actual[n].length, key + " width");
      for (int i = 0; i < row.size(); i++) {
        worst = Math.max(worst, Math.abs(row.get(i).getAsDouble() - actual[n][i]));
      }
    }
    System.out.printf("%s: max |djl - tfjs| = %.3g%n", key, worst);
    assertTrue(worst < 1e-3, key + " differs from TF.js by " + worst);
  }

  @Test
  void pooledFeaturesMatchTfjs() {
    assertClose("out_relu_mean", run("out_relu"));
  }

  @Test
  void classProbabilitiesMatchTfjs() {
    assertClose("dense_3", run("dense_3"));
  }
}
