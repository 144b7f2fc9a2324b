package dev.graft.plugins.vision.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.types.Shape;
import dev.graft.plugins.vision.VisionDomain;
import dev.graft.spi.Backbone;
import dev.graft.spi.BaseModel;
import dev.graft.spi.ErrorKind;
import dev.graft.spi.FeatureRequest;
import dev.graft.spi.GraftException;
import dev.graft.spi.ModelInput;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real ONNX image model (PaddleOCR's MobileNetV3 text-orientation classifier, input
 * [N, 3, 48, 192], output [N, 2] probabilities) through the vision domain's ONNX backbone.
 */
class OnnxVisionBackboneTest {
  @TempDir Path dir;

  private Backbone open() throws Exception {
    try (var in = getClass().getResourceAsStream("/onnx/models/ch_ppocr_mobile_v2.0_cls_infer.onnx")) {
      Files.copy(in, dir.resolve(OnnxVisionBackbone.MODEL_FILE));
    }
    return new VisionDomain(dir).openBackbone(new BaseModel("cls@1", dir, "onnx", Map.of(
        "input_height", "48", "input_width", "192", "input_mean", "0.5,0.5,0.5",
        "input_std", "0.5,0.5,0.5")), Device.cpu());
  }

  static ModelInput text(boolean upsideDown) throws Exception {
    BufferedImage img = new BufferedImage(192, 48, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, 192, 48);
    g.setColor(Color.BLACK);
    g.setFont(g.getFont().deriveFont(30f));
    if (upsideDown) {
      g.rotate(Math.PI, 96, 24);
    }
    g.drawString("Graft 2026", 10, 36);
    g.dispose();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(img, "png", out);
    return new ModelInput.Image(out.toByteArray());
  }

  @Test
  void extractsTheModelsOutputForImages() throws Exception {
    try (Backbone backbone = open()) {
      assertEquals(2, backbone.dimension());
      float[][] f = backbone.extract(List.of(text(false), text(true)), FeatureRequest.defaults());
      for (float[] v : f) {
        assertEquals(1.0, v[0] + v[1], 1e-4); // softmax over {0°, 180°}
      }
      assertTrue(f[0][0] > f[0][1], "upright text is 0°: " + f[0][0]);
      assertTrue(f[1][1] > f[1][0], "rotated text is 180°: " + f[1][1]);
    }
  }

  @Test
  void refusesBadInputsAndTraining() throws Exception {
    try (Backbone backbone = open()) {
      GraftException e = assertThrows(GraftException.class, () -> backbone.extract(
          List.of(text(false), new ModelInput.Image(new byte[] {1, 2, 3})), FeatureRequest.defaults()));
      assertEquals("inputs[1]", e.field());
      e = assertThrows(GraftException.class, () -> backbone.openTrainable(Device.cpu(), Map.of()));
      assertEquals(ErrorKind.FAILED_PRECONDITION, e.kind());
      assertEquals("TRAINABLE_BACKBONE_REQUIRED", e.reason());
    }
  }

  @Test
  void poolsImageAndSequenceOutputs() {
    float[] y = {1, 2, 3, 4, 10, 20, 30, 40};
    assertArrayEquals(new float[] {2.5f, 25f},
        OnnxVisionBackbone.pool(y, new Shape(1, 2, 2, 2), false)[0]);
    assertArrayEquals(new float[] {30f, 40f},
        OnnxVisionBackbone.pool(y, new Shape(1, 4, 2), true)[0]);
  }
}
