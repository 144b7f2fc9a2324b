package dev.graft.plugins.vision.torchscript;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import dev.graft.plugins.vision.OutputProbe;
import dev.graft.plugins.vision.VisionDomain;
import dev.graft.plugins.vision.image.BombImages;
import dev.graft.plugins.vision.image.ImageLimits;
import dev.graft.spi.Backbone;
import dev.graft.spi.BaseModel;
import dev.graft.spi.ErrorKind;
import dev.graft.spi.FeatureRequest;
import dev.graft.spi.GraftException;
import dev.graft.spi.ModelInput;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tiny_cnn.pt} with damaged weights, opened through the domain as ImportModel's probe
 * does (native PyTorch): a storage record cut short is refused before PyTorch reads the file
 * (it used to load and give NaN features), weights that are NaN are refused by the probe pass,
 * and the intact module still opens. Also the issue's 32 huge PNGs against the backbone's
 * Extract.
 */
class CorruptWeightsTest {
  private static final String WEIGHT = "tiny_cnn/data/14";

  @TempDir Path dir;

  private Backbone open(Map<String, byte[]> entries) throws Exception {
    Files.write(dir.resolve(ScriptedNetwork.MODEL_FILE), OperatorAuditTest.zip(entries));
    return new VisionDomain(dir).openBackbone(new BaseModel("tiny@1", dir,
        VisionDomain.FORMAT_TORCHSCRIPT, Map.of("input_size", "32")), Device.cpu());
  }

  private static Map<String, byte[]> tinyCnn() throws Exception {
    return OperatorAuditTest.entries(OperatorAuditTest.fixture("tiny_cnn.pt"));
  }

  private GraftException refused(Map<String, byte[]> entries) {
    GraftException e = assertThrows(GraftException.class, () -> open(entries).close());
    assertEquals(ErrorKind.FAILED_PRECONDITION, e.kind(), e.getMessage());
    assertFalse(e.getMessage().contains(dir.toString()), e.getMessage());
    return e;
  }

  @Test
  void aTruncatedWeightStorageIsRefusedAtOpen() throws Exception {
    Map<String, byte[]> entries = tinyCnn();
    entries.put(WEIGHT, Arrays.copyOf(entries.get(WEIGHT), 64));
    GraftException e = refused(entries);
    assertEquals(Refusal.STORAGE_TOO_SMALL, e.reason(), e.getMessage());
    assertTrue(e.getMessage().contains(WEIGHT), e.getMessage());
  }

  @Test
  void nanWeightsAreRefusedByTheProbePass() throws Exception {
    Map<String, byte[]> entries = tinyCnn();
    byte[] nan = new byte[entries.get(WEIGHT).length];
    ByteBuffer.wrap(nan).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer()
        .put(0, new float[nan.length / 4]).put(5, Float.NaN);
    entries.put(WEIGHT, nan);
    GraftException e = refused(entries);
    assertEquals(OutputProbe.NON_FINITE_OUTPUT, e.reason(), e.getMessage());
    assertTrue(e.getMessage().contains("tiny@1"), e.getMessage());
  }

  @Test
  void hugeWeightsThatOverflowAreRefusedByTheProbePass() throws Exception {
    Map<String, byte[]> entries = tinyCnn();
    byte[] huge = new byte[entries.get(WEIGHT).length];
    float[] values = new float[huge.length / 4];
    Arrays.fill(values, 3e38f);
    ByteBuffer.wrap(huge).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(values);
    entries.put(WEIGHT, huge);
    assertEquals(OutputProbe.NON_FINITE_OUTPUT, refused(entries).reason());
  }

  @Test
  void theIntactModuleOpensAndRefusesTheIssuesThirtyTwoPngsBeforeDecoding() throws Exception {
    byte[] big = BombImages.solidPng(7000, 7000);
    List<ModelInput> inputs = new ArrayList<>(Collections.nCopies(32, new ModelInput.Image(big)));
    try (Backbone backbone = open(tinyCnn())) {
      assertEquals(16, backbone.dimension());
      GraftException[] e = new GraftException[1];
      long allocated = BombImages.allocatedBy(() -> e[0] = assertThrows(GraftException.class,
          () -> backbone.extract(inputs, FeatureRequest.defaults())));
      assertEquals(ErrorKind.RESOURCE_EXHAUSTED, e[0].kind());
      assertEquals(ImageLimits.REQUEST_TOO_LARGE, e[0].reason());
      assertEquals("inputs[4]", e[0].field());
      assertTrue(allocated < 32L << 20, "allocated " + (allocated >> 20) + " MB");
    }
  }
}
