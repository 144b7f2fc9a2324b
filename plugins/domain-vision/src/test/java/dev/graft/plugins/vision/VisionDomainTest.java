package dev.graft.plugins.vision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import dev.graft.spi.Backbone;
import dev.graft.spi.BaseModel;
import dev.graft.spi.BuiltinModel;
import dev.graft.spi.ErrorKind;
import dev.graft.spi.FeatureRequest;
import dev.graft.spi.GraftException;
import dev.graft.spi.ModelInput;
import dev.graft.spi.ParameterGroup;
import dev.graft.spi.Pooling;
import dev.graft.spi.TrainableBackbone;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The domain with the built-in mobilenet-v2-96 (needs scripts/fetch-assets). */
class VisionDomainTest {
  static final Path ASSETS = Path.of(System.getProperty("graft.assets", "../../assets"));
  static VisionDomain domain;
  static BaseModel base;
  static Backbone backbone;

  @BeforeAll
  static void open() {
    domain = new VisionDomain(ASSETS);
    List<BuiltinModel> builtins = domain.builtinModels();
    assumeTrue(!builtins.isEmpty(), "run scripts/fetch-assets first");
    BuiltinModel small = builtins.stream()
        .filter(b -> b.name().equals(BuiltinNetworks.MOBILENET_96)).findFirst().orElseThrow();
    base = new BaseModel("mobilenet-v2-96@1", ASSETS.resolve(BuiltinNetworks.FOLDER),
        small.format(), small.properties());
    backbone = domain.openBackbone(base, Device.cpu());
  }

  @AfterAll
  static void close() {
    if (backbone != null) {
      backbone.close();
    }
  }

  static ModelInput png(int seed) throws Exception {
    BufferedImage img = new BufferedImage(40, 30, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < 30; y++) {
      for (int x = 0; x < 40; x++) {
        img.setRGB(x, y, ((x * 6 + seed * 50) % 256) << 16 | ((y * 8) % 256) << 8 | (seed * 90 % 256));
      }
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(img, "png", out);
    return new ModelInput.Image(out.toByteArray());
  }

  static ModelInput greyTensor() {
    byte[] data = new byte[28 * 28];
    for (int i = 0; i < data.length; i++) {
      data[i] = (byte) ((i % 28) * 9);
    }
    return new ModelInput.Tensor("uint8", new long[] {28, 28}, data);
  }

  @Test
  void shipsBothBuiltinsOnlyWhenTheAssetsExist(@TempDir Path empty) {
    assertEquals(List.of("mobilenet-v2", "mobilenet-v2-96"),
        domain.builtinModels().stream().map(BuiltinModel::name)
            .filter(n -> n.startsWith("mobilenet")).toList());
    assertEquals(List.of(), new VisionDomain(empty).builtinModels());
  }

  @Test
  void extractsPooledFeaturesFromImagesAndTensors() throws Exception {
    assertEquals("out_relu", backbone.defaultLayer());
    assertEquals(1280, backbone.dimension());
    float[][] f = backbone.extract(List.of(png(1), greyTensor(), png(2)),
        new FeatureRequest("", Pooling.DEFAULT, true));
    assertEquals(3, f.length);
    for (float[] v : f) {
      assertEquals(1280, v.length);
      double norm = 0;
      for (float x : v) {
        assertTrue(Float.isFinite(x) && x >= 0);
        norm += x * x;
      }
      assertEquals(1.0, norm, 1e-4);
    }
    assertTrue(!java.util.Arrays.equals(f[0], f[2]));
    float[][] mid = backbone.extract(List.of(png(1)),
        new FeatureRequest("block_13_expand_relu", Pooling.MAX, false));
    assertEquals(576, mid[0].length);
  }

  @Test
  void corruptInputIsRefusedWithItsIndex() throws Exception {
    GraftException e = assertThrows(GraftException.class, () -> backbone.extract(
        List.of(png(1), new ModelInput.Image(new byte[] {(byte) 0x89, 'P', 'N', 'G', 1, 2}), png(2)),
        FeatureRequest.defaults()));
    assertEquals(ErrorKind.INVALID_ARGUMENT, e.kind());
    assertEquals("inputs[1]", e.field());
  }

  @Test
  void trainableCopyMatchesTheBackboneAndRoundTripsItsWeights() throws Exception {
    List<ModelInput> inputs = List.of(png(3), greyTensor());
    float[][] expected = backbone.extract(inputs, FeatureRequest.defaults());
    try (TrainableBackbone t = backbone.openTrainable(Device.cpu(), Map.of());
        TrainableBackbone fresh = backbone.openTrainable(Device.cpu(),
            Map.of("init", "random", "seed", "7"))) {
      assertEquals(1280, t.dimension());
      Set<Parameter> grouped = new HashSet<>();
      for (ParameterGroup g : t.groups()) {
        for (Parameter p : g.parameters()) {
          assertTrue(grouped.add(p), "parameter in two groups: " + p.getName());
        }
      }
      assertEquals(t.block().getParameters().size(), grouped.size());
      assertEquals("Conv1", t.groups().get(0).name());
      assertEquals("Conv_1", t.groups().get(t.groups().size() - 1).name());
      float[] got = forward(t, inputs);
      for (int i = 0; i < 1280; i++) {
        assertEquals(expected[1][i], got[1280 + i], 1e-4);
      }
      assertTrue(!java.util.Arrays.equals(got, forward(fresh, inputs)));
      ByteArrayOutputStream saved = new ByteArrayOutputStream();
      t.saveParameters(saved);
      fresh.loadParameters(new ByteArrayInputStream(saved.toByteArray()));
      float[] restored = forward(fresh, inputs);
      assertEquals(got[1280 + 17], restored[1280 + 17], 1e-4);
      assertEquals("pretrained", t.options().get("init"));
      assertEquals("96", t.options().get("image_size"));
    }
  }

  private static float[] forward(TrainableBackbone t, List<ModelInput> inputs) {
    try (NDManager scope = t.manager().newSubManager()) {
      NDList x = t.inputs(scope, inputs);
      return t.block().forward(new ParameterStore(scope, false), x, false).singletonOrThrow()
          .toFloatArray();
    }
  }

  @Test
  void badOptionsAndOtherFormatsAreRefused() {
    GraftException e = assertThrows(GraftException.class,
        () -> backbone.openTrainable(Device.cpu(), Map.of("unfreeze_bn", "1")));
    assertEquals("hyperparameters.extra[unfreeze_bn]", e.field());
    e = assertThrows(GraftException.class,
        () -> backbone.openTrainable(Device.cpu(), Map.of("image_size", "4000")));
    assertEquals("hyperparameters.extra[image_size]", e.field());
    e = assertThrows(GraftException.class, () -> domain.openBackbone(
        new BaseModel("x@1", ASSETS, "safetensors", Map.of()), Device.cpu()));
    assertEquals(ErrorKind.UNIMPLEMENTED, e.kind());
  }

  @Test
  void unsupportedNetworkIsAFailedPrecondition(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("model.json"), "{\"modelTopology\":{\"model_config\":"
        + "{\"class_name\":\"Sequential\",\"config\":{}}},\"weightsManifest\":[]}");
    GraftException e = assertThrows(GraftException.class, () -> domain.openBackbone(
        new BaseModel("x@1", dir, VisionDomain.FORMAT_TFJS, Map.of()), Device.cpu()));
    assertEquals(ErrorKind.FAILED_PRECONDITION, e.kind());
    assertEquals("UNSUPPORTED_NETWORK", e.reason());
  }
}
