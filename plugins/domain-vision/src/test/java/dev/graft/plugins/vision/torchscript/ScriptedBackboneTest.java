package dev.graft.plugins.vision.torchscript;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterServer;
import ai.djl.training.ParameterStore;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.graft.plugins.vision.VisionDomain;
import dev.graft.spi.Backbone;
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
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The TorchScript vision backbone on the fixture made by
 * {@code src/test/resources/torchscript/make_fixture.py}: a scripted conv-bn-relu ×3 network
 * returning pooled [N, 16] features ({@code tiny_cnn.pt}) or its [N, 16, 8, 8] feature map
 * ({@code tiny_cnn_map.pt}), with torch's outputs on three fixed inputs.
 */
class ScriptedBackboneTest {
  private static final Map<String, String> PROPS = Map.of("input_size", "32");

  @TempDir Path dir;

  private Backbone open(String fixture) throws Exception {
    try (InputStream in = resource(fixture)) {
      Files.copy(in, dir.resolve(ScriptedNetwork.MODEL_FILE));
    }
    return new VisionDomain(dir).openBackbone(
        new BaseModel("tiny@1", dir, VisionDomain.FORMAT_TORCHSCRIPT, PROPS), Device.cpu());
  }

  private static InputStream resource(String name) {
    return ScriptedBackboneTest.class.getResourceAsStream("/torchscript/" + name);
  }

  private static JsonObject reference() throws Exception {
    try (InputStream in = resource("reference.json")) {
      return JsonParser.parseReader(new InputStreamReader(in, StandardCharsets.UTF_8))
          .getAsJsonObject();
    }
  }

  /** The fixture's inputs: x[n,c,h,w] = sin(0.37·(n+1)·(c·1024 + h·32 + w)). */
  private static NDArray inputs(NDManager manager) {
    float[] x = new float[3 * 3 * 32 * 32];
    int i = 0;
    for (int n = 0; n < 3; n++) {
      for (int c = 0; c < 3; c++) {
        for (int h = 0; h < 32; h++) {
          for (int w = 0; w < 32; w++) {
            x[i++] = (float) Math.sin(0.37 * (n + 1) * (c * 1024 + h * 32 + w));
          }
        }
      }
    }
    return manager.create(x, new Shape(3, 3, 32, 32));
  }

  private static float[] values(JsonObject ref, String model) {
    var array = ref.getAsJsonObject(model).getAsJsonArray("values");
    float[] v = new float[array.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = array.get(i).getAsFloat();
    }
    return v;
  }

  private static float[] forward(TrainableBackbone t, boolean training) {
    try (NDManager scope = t.manager().newSubManager()) {
      return t.block().forward(new ParameterStore(scope, false), new NDList(inputs(scope)),
          training).singletonOrThrow().toFloatArray();
    }
  }

  private static double maxDiff(float[] a, float[] b) {
    assertEquals(a.length, b.length);
    double d = 0;
    for (int i = 0; i < a.length; i++) {
      d = Math.max(d, Math.abs(a[i] - b[i]));
    }
    return d;
  }

  @Test
  void forwardEqualsTorchOnTheFixture() throws Exception {
    JsonObject ref = reference();
    try (Backbone backbone = open("tiny_cnn.pt");
        TrainableBackbone t = backbone.openTrainable(Device.cpu(), Map.of())) {
      assertEquals(16, backbone.dimension());
      assertEquals(16, t.dimension());
      double diff = maxDiff(values(ref, "tiny_cnn"), forward(t, false));
      System.out.println("torchscript parity (pooled module): max |djl - torch| = " + diff);
      assertTrue(diff < 1e-4, "max diff " + diff);
      assertTrue(maxDiff(values(ref, "tiny_cnn"), forward(t, true)) < 1e-4,
          "a training pass keeps batch norms on their stored statistics");
    }
  }

  @Test
  void featureMapsArePooledOverSpace() throws Exception {
    float[] map = values(reference(), "tiny_cnn_map"); // [3, 16, 8, 8]
    float[] mean = new float[3 * 16];
    for (int i = 0; i < map.length; i++) {
      mean[i / 64] += map[i] / 64f;
    }
    try (Backbone backbone = open("tiny_cnn_map.pt");
        TrainableBackbone t = backbone.openTrainable(Device.cpu(), Map.of())) {
      assertEquals(16, backbone.dimension());
      double diff = maxDiff(mean, forward(t, false));
      System.out.println("torchscript parity (feature map, mean-pooled): max diff = " + diff);
      assertTrue(diff < 1e-4, "max diff " + diff);
      try (TrainableBackbone max = backbone.openTrainable(Device.cpu(), Map.of("pooling", "max"))) {
        float[] m = forward(max, false);
        for (int k = 0; k < m.length; k++) {
          float expected = Float.NEGATIVE_INFINITY;
          for (int p = 0; p < 64; p++) {
            expected = Math.max(expected, map[k * 64 + p]);
          }
          assertEquals(expected, m[k], 1e-4);
        }
        assertEquals("max", max.options().get("pooling"));
      }
    }
  }

  @Test
  void extractsFromImagesAndRefusesUnknownLayers() throws Exception {
    try (Backbone backbone = open("tiny_cnn_map.pt")) {
      assertEquals(List.of("output"), backbone.layers());
      byte[] pixels = new byte[40 * 40 * 3];
      for (int i = 0; i < pixels.length; i++) {
        pixels[i] = (byte) (i * 7);
      }
      ModelInput image = new ModelInput.Tensor("uint8", new long[] {40, 40, 3}, pixels);
      float[][] f = backbone.extract(List.of(image, image), FeatureRequest.defaults());
      assertEquals(2, f.length);
      assertEquals(16, f[0].length);
      assertArrayEquals(f[0], f[1], 1e-6f);
      float[][] max = backbone.extract(List.of(image),
          new FeatureRequest("output", Pooling.MAX, true));
      double norm = 0;
      for (float v : max[0]) {
        norm += v * v;
      }
      assertEquals(1.0, norm, 1e-4);
      GraftException e = assertThrows(GraftException.class, () -> backbone.extract(
          List.of(image), new FeatureRequest("features.1", Pooling.MEAN, false)));
      assertEquals(ErrorKind.INVALID_ARGUMENT, e.kind());
      assertEquals("layer", e.field());
      e = assertThrows(GraftException.class,
          () -> backbone.openTrainable(Device.cpu(), Map.of("batchnorm", "train")));
      assertEquals("hyperparameters.extra[batchnorm]", e.field());
      e = assertThrows(GraftException.class,
          () -> backbone.openTrainable(Device.cpu(), Map.of("layer", "features.1")));
      assertEquals("hyperparameters.extra[layer]", e.field());
    }
  }

  @Test
  void groupsCoverEveryParameterOnceBottomToTop() throws Exception {
    try (Backbone backbone = open("tiny_cnn.pt");
        TrainableBackbone t = backbone.openTrainable(Device.cpu(), Map.of())) {
      List<ParameterGroup> groups = t.groups();
      assertEquals(List.of("features.0", "features.1", "features.2", "head"),
          groups.stream().map(ParameterGroup::name).toList());
      Set<Parameter> seen = new HashSet<>();
      for (ParameterGroup g : groups) {
        for (Parameter p : g.parameters()) {
          assertTrue(seen.add(p), p.getName() + " is in two groups");
          assertTrue(p.getName().startsWith(g.name() + "."), p.getName() + " in " + g.name());
        }
      }
      Set<Parameter> all = new HashSet<>(t.block().getParameters().values());
      assertEquals(all, seen);
      assertEquals(14, seen.size());
      assertEquals(8 * 3 * 9 + 8 + 8 + 8, groups.get(0).size());
    }
  }

  @Test
  void trainingStepsChangeOnlyUnfrozenGroups() throws Exception {
    try (Backbone backbone = open("tiny_cnn.pt");
        TrainableBackbone t = backbone.openTrainable(Device.cpu(), Map.of())) {
      List<ParameterGroup> groups = t.groups();
      groups.get(0).freeze(true);
      groups.get(1).freeze(true);
      Map<String, float[]> before = snapshot(groups);
      float[] featuresBefore = forward(t, false);
      Engine engine = Engine.getEngine("PyTorch");
      Optimizer sgd = Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.1f)).build();
      try (ParameterServer server = engine.newParameterServer(sgd)) {
        ParameterStore store = new ParameterStore(t.manager(), false);
        store.setParameterServer(server, new Device[] {Device.cpu()});
        for (int step = 0; step < 3; step++) {
          try (NDManager scope = t.manager().newSubManager();
              GradientCollector collector = engine.newGradientCollector()) {
            NDArray y = t.block().forward(store, new NDList(inputs(scope)), true)
                .singletonOrThrow();
            collector.backward(y.sub(1f).square().mean());
          }
          store.updateAllParameters();
        }
      }
      Map<String, float[]> after = snapshot(groups);
      for (ParameterGroup g : groups) {
        boolean frozen = g == groups.get(0) || g == groups.get(1);
        for (Parameter p : g.parameters()) {
          double d = maxDiff(before.get(p.getName()), after.get(p.getName()));
          if (frozen) {
            assertEquals(0.0, d, p.getName() + " is frozen");
          } else {
            assertTrue(d > 1e-6, p.getName() + " should have trained: " + d);
          }
        }
      }
      assertTrue(maxDiff(featuresBefore, forward(t, false)) > 1e-4, "the module's output moved");
    }
  }

  private static Map<String, float[]> snapshot(List<ParameterGroup> groups) {
    Map<String, float[]> values = new HashMap<>();
    for (ParameterGroup g : groups) {
      for (Parameter p : g.parameters()) {
        values.put(p.getName(), p.getArray().toFloatArray());
      }
    }
    return values;
  }

  @Test
  void savedParametersRestoreOutputsAndRandomInitIsSeeded() throws Exception {
    try (Backbone backbone = open("tiny_cnn.pt")) {
      float[] pretrained;
      try (TrainableBackbone t = backbone.openTrainable(Device.cpu(), Map.of())) {
        pretrained = forward(t, false);
        assertEquals("pretrained", t.options().get("init"));
      }
      byte[] saved;
      float[] random;
      try (TrainableBackbone r = backbone.openTrainable(Device.cpu(),
          Map.of("init", "random", "seed", "5"))) {
        random = forward(r, false);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        r.saveParameters(out);
        saved = out.toByteArray();
      }
      assertTrue(maxDiff(pretrained, random) > 1e-3, "random init changes the network");
      try (TrainableBackbone again = backbone.openTrainable(Device.cpu(),
          Map.of("init", "random", "seed", "5"))) {
        assertEquals(0.0, maxDiff(random, forward(again, false)), "the seed decides");
      }
      try (TrainableBackbone loaded = backbone.openTrainable(Device.cpu(), Map.of())) {
        loaded.loadParameters(new ByteArrayInputStream(saved));
        assertEquals(0.0, maxDiff(random, forward(loaded, false)), "loading restores outputs");
        byte[] cut = java.util.Arrays.copyOf(saved, 40);
        cut[5] = 'X';
        GraftException e = assertThrows(GraftException.class,
            () -> loaded.loadParameters(new ByteArrayInputStream(cut)));
        assertEquals(ErrorKind.FAILED_PRECONDITION, e.kind());
        assertEquals("CORRUPT_WEIGHTS", e.reason());
      }
    }
  }

  @Test
  void corruptOrMissingFilesAreFailedPreconditions() throws Exception {
    VisionDomain domain = new VisionDomain(dir);
    BaseModel model = new BaseModel("bad@1", dir, VisionDomain.FORMAT_TORCHSCRIPT, PROPS);
    GraftException e = assertThrows(GraftException.class,
        () -> domain.openBackbone(model, Device.cpu()));
    assertEquals(ErrorKind.FAILED_PRECONDITION, e.kind());
    assertEquals("MODEL_FILE_MISSING", e.reason());

    byte[] good;
    try (InputStream in = resource("tiny_cnn.pt")) {
      good = in.readAllBytes();
    }
    Files.write(dir.resolve(ScriptedNetwork.MODEL_FILE), java.util.Arrays.copyOf(good, good.length / 2));
    e = assertThrows(GraftException.class, () -> domain.openBackbone(model, Device.cpu()));
    assertEquals(ErrorKind.FAILED_PRECONDITION, e.kind());
    assertEquals("UNREADABLE_MODEL", e.reason());
    assertFalse(e.getMessage().isBlank());

    Files.write(dir.resolve(ScriptedNetwork.MODEL_FILE), good);
    e = assertThrows(GraftException.class, () -> domain.openBackbone(new BaseModel("bad@1", dir,
        VisionDomain.FORMAT_TORCHSCRIPT, Map.of("input_size", "32", "input_channels", "1")),
        Device.cpu()));
    assertEquals(ErrorKind.FAILED_PRECONDITION, e.kind());
    assertEquals("MODEL_FORWARD_FAILED", e.reason());
  }
}
