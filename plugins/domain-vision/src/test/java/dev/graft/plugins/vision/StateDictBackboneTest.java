package dev.graft.plugins.vision;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import dev.graft.spi.Backbone;
import dev.graft.spi.BaseModel;
import dev.graft.spi.BuiltinModel;
import dev.graft.spi.ErrorKind;
import dev.graft.spi.FeatureRequest;
import dev.graft.spi.GraftException;
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

/** The built-in efficientnet-lite0-96 (a torch-state-dict model; needs scripts/fetch-assets). */
class StateDictBackboneTest {
  static Path pth;
  static BaseModel base;
  static Backbone backbone;

  @BeforeAll
  static void open() {
    VisionDomain domain = new VisionDomain(VisionDomainTest.ASSETS);
    BuiltinModel small = domain.builtinModels().stream()
        .filter(b -> b.name().equals(BuiltinNetworks.EFFICIENTNET_96)).findFirst().orElse(null);
    assumeTrue(small != null, "run scripts/fetch-assets first");
    pth = VisionDomainTest.ASSETS.resolve(BuiltinNetworks.EFFICIENTNET_FILE);
    base = new BaseModel("efficientnet-lite0-96@1", pth.getParent(), small.format(),
        small.properties());
    backbone = domain.openBackbone(base, Device.cpu());
  }

  @AfterAll
  static void close() {
    if (backbone != null) {
      backbone.close();
    }
  }

  @Test
  void extractsHeadAndStageFeatures() throws Exception {
    assertEquals("head", backbone.defaultLayer());
    assertEquals(1280, backbone.dimension());
    float[][] f = backbone.extract(List.of(VisionDomainTest.png(1), VisionDomainTest.greyTensor()),
        new FeatureRequest("", Pooling.DEFAULT, false));
    assertEquals(1280, f[0].length);
    for (float x : f[0]) {
      assertTrue(x >= 0 && x <= 6, "ReLU6 output " + x);
    }
    assertTrue(!java.util.Arrays.equals(f[0], f[1]));
    assertEquals(112, backbone.extract(List.of(VisionDomainTest.png(1)),
        new FeatureRequest("stage5", Pooling.MAX, false))[0].length);
    GraftException e = assertThrows(GraftException.class, () -> backbone.extract(
        List.of(VisionDomainTest.png(1)), new FeatureRequest("block_3", Pooling.DEFAULT, false)));
    assertEquals("layer", e.field());
  }

  @Test
  void trainableSavesAndRestoresWeightsAndStatistics() throws Exception {
    ByteArrayOutputStream saved = new ByteArrayOutputStream();
    float[] pretrained;
    try (TrainableBackbone t = backbone.openTrainable(Device.cpu(), Map.of("image_size", "64"))) {
      assertEquals(18, t.groups().size());
      assertEquals("stem", t.groups().get(0).name());
      assertEquals("head", t.groups().get(17).name());
      pretrained = forward(t);
      t.saveParameters(saved);
    }
    try (TrainableBackbone fresh = backbone.openTrainable(Device.cpu(),
        Map.of("image_size", "64", "init", "random"))) {
      float[] random = forward(fresh);
      assertTrue(!java.util.Arrays.equals(pretrained, random));
      fresh.loadParameters(new ByteArrayInputStream(saved.toByteArray()));
      assertArrayEquals(pretrained, forward(fresh), 1e-5f);
    }
  }

  private static float[] forward(TrainableBackbone t) throws Exception {
    try (NDManager scope = t.manager().newSubManager()) {
      NDList x = t.inputs(scope, List.of(VisionDomainTest.png(3)));
      return t.block().forward(new ParameterStore(scope, false), x, false).singletonOrThrow()
          .toFloatArray();
    }
  }

  @Test
  void importedStateDictNeedsItsArchitecture(@TempDir Path dir) throws Exception {
    Files.copy(pth, dir.resolve("weights.pth"));
    VisionDomain domain = new VisionDomain(dir);
    try (Backbone imported = domain.openBackbone(new BaseModel("mine@1", dir,
        VisionDomain.FORMAT_TORCH, Map.of("architecture", "efficientnet-lite0",
            "input_size", "64")), Device.cpu())) {
      assertEquals(1280, imported.dimension());
    }
    GraftException e = assertThrows(GraftException.class, () -> domain.openBackbone(
        new BaseModel("mine@1", dir, VisionDomain.FORMAT_TORCH, Map.of()), Device.cpu()));
    assertEquals(ErrorKind.FAILED_PRECONDITION, e.kind());
    assertTrue(e.getMessage().contains("architecture"), e.getMessage());
  }
}
