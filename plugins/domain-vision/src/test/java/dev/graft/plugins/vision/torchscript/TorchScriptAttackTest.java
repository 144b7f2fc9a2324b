package dev.graft.plugins.vision.torchscript;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import dev.graft.plugins.vision.VisionDomain;
import dev.graft.spi.Backbone;
import dev.graft.spi.BaseModel;
import dev.graft.spi.ErrorKind;
import dev.graft.spi.FeatureRequest;
import dev.graft.spi.GraftException;
import dev.graft.spi.ModelInput;
import dev.graft.spi.Pooling;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The attack fixtures of {@code src/test/resources/torchscript/make_attack_fixtures.py} against
 * the real load paths: without the audit PyTorch runs them (each control test loads a fixture
 * with the native loader directly and watches it read or write the server file), and through
 * the plugin they are refused with FORBIDDEN_OPERATOR before PyTorch sees them, at the import's
 * probe and at every later load. The fixtures hard-code the files they attack:
 * {@value #SECRET} (read) and {@value #WRITTEN} (written).
 */
class TorchScriptAttackTest {
  static final String SECRET = "/tmp/graft-audit-secret.txt";
  static final String WRITTEN = "/tmp/graft-audit-written.pt";
  private static final byte[] SECRET_BYTES =
      "graft-secret-0123456789".getBytes(StandardCharsets.US_ASCII);
  private static final Map<String, String> PROPS = Map.of("input_size", "32");

  @TempDir Path dir;

  @BeforeEach
  void plantTheSecret() throws Exception {
    Files.write(Path.of(SECRET), SECRET_BYTES);
    Files.deleteIfExists(Path.of(WRITTEN));
  }

  @AfterEach
  void cleanUp() throws Exception {
    Files.deleteIfExists(Path.of(SECRET));
    Files.deleteIfExists(Path.of(WRITTEN));
  }

  private BaseModel model(String fixture) throws Exception {
    Files.write(dir.resolve(ScriptedNetwork.MODEL_FILE), OperatorAuditTest.fixture(fixture));
    return new BaseModel("attack@1", dir, VisionDomain.FORMAT_TORCHSCRIPT, PROPS);
  }

  /** The fixture's first output on one blank image, loaded and run by PyTorch with no audit. */
  private float[] runWithoutTheAudit(String fixture) throws Exception {
    model(fixture);
    try (NDManager manager = NDManager.newBaseManager(Device.cpu(), ScriptedNetwork.ENGINE)) {
      PtSymbolBlock module = JniUtils.loadModule((PtNDManager) manager,
          dir.resolve(ScriptedNetwork.MODEL_FILE), true, new String[0], new String[0], true);
      NDList out = IValueUtils.forward(module,
          new NDList(manager.zeros(new Shape(1, 3, 32, 32))), false);
      return out.head().toFloatArray();
    }
  }

  private void assertForbidden(GraftException e, String operator) {
    assertEquals(ErrorKind.FAILED_PRECONDITION, e.kind(), e.getMessage());
    assertEquals("FORBIDDEN_OPERATOR", e.reason(), e.getMessage());
    assertTrue(e.getMessage().contains("operator '" + operator + "'"), e.getMessage());
    assertTrue(e.getMessage().contains("/code/__torch__.py:8"), e.getMessage());
    assertFalse(e.getMessage().contains(dir.toString()), "no server path: " + e.getMessage());
  }

  @Test
  void withoutTheAuditTheFromFileFixtureReadsTheServerFile() throws Exception {
    float[] features = runWithoutTheAudit("attack_from_file.pt");
    float[] expected = new float[16];
    for (int i = 0; i < 16; i++) {
      expected[i] = SECRET_BYTES[i];
    }
    assertArrayEquals(expected, features, "the module hands back the file's bytes");
  }

  @Test
  void withoutTheAuditTheSaveFixtureWritesAServerFile() throws Exception {
    runWithoutTheAudit("attack_save.pt");
    assertTrue(Files.exists(Path.of(WRITTEN)), "the module wrote " + WRITTEN);
  }

  @Test
  void theImportProbeRefusesFromFileBeforePyTorchLoadsIt() throws Exception {
    BaseModel model = model("attack_from_file.pt");
    // the probe pass would succeed (16 "features" read from the file) if PyTorch got the module
    GraftException e = assertThrows(GraftException.class,
        () -> new VisionDomain(dir).openBackbone(model, Device.cpu()).close());
    assertForbidden(e, "aten::from_file");
  }

  @Test
  void theImportProbeRefusesSaveAndNoFileIsWritten() throws Exception {
    BaseModel model = model("attack_save.pt");
    GraftException e = assertThrows(GraftException.class,
        () -> new VisionDomain(dir).openBackbone(model, Device.cpu()).close());
    assertForbidden(e, "aten::save");
    assertFalse(Files.exists(Path.of(WRITTEN)), WRITTEN + " was written");
  }

  @Test
  void everyLaterLoadIsAuditedToo() throws Exception {
    BaseModel model = model("tiny_cnn.pt");
    try (Backbone backbone = new VisionDomain(dir).openBackbone(model, Device.cpu())) {
      assertEquals(16, backbone.dimension(), "the benign module still loads and runs");
      Files.write(dir.resolve(ScriptedNetwork.MODEL_FILE),
          OperatorAuditTest.fixture("attack_save.pt"));
      GraftException e = assertThrows(GraftException.class,
          () -> backbone.openTrainable(Device.cpu(), Map.of()).close());
      assertForbidden(e, "aten::save");
      ModelInput image = new ModelInput.Tensor("uint8", new long[] {32, 32, 3}, new byte[3072]);
      e = assertThrows(GraftException.class, () -> backbone.extract(List.of(image),
          new FeatureRequest("output", Pooling.MAX, false)));
      assertForbidden(e, "aten::save");
      assertFalse(Files.exists(Path.of(WRITTEN)), WRITTEN + " was written");
    }
  }
}
