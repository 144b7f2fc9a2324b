package dev.graft.plugins.vision.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PreprocessorTest {
  private static final InputSpec RGB8 =
      new InputSpec(8, 3, 1, 1f / 255, new float[] {0.5f, 0.5f, 0.5f}, new float[] {0.5f, 0.5f, 0.5f});

  private static Pixels grey(int h, int w, float value) {
    float[] data = new float[h * w];
    Arrays.fill(data, value);
    return new Pixels(h, w, 1, data);
  }

  @Test
  void greyIsPromotedToRgbAndNormalised() {
    float[] out = new Preprocessor(RGB8).batch(List.of(grey(28, 28, 255)), null, null);
    assertEquals(3 * 8 * 8, out.length);
    for (float v : out) {
      assertEquals(1f, v, 1e-6); // (255/255 - 0.5) / 0.5
    }
  }

  @Test
  void centreCropOfAWideImageSkipsItsSides() {
    // 4 rows × 12 columns: left and right thirds black, centre white.
    float[] data = new float[4 * 12];
    for (int y = 0; y < 4; y++) {
      for (int x = 4; x < 8; x++) {
        data[y * 12 + x] = 255;
      }
    }
    InputSpec spec = new InputSpec(4, 1, 1, 1f / 255, new float[] {0}, new float[] {1});
    float[] out = new Preprocessor(spec).batch(List.of(new Pixels(4, 12, 1, data)), null, null);
    for (float v : out) {
      assertEquals(1f, v, 1e-6);
    }
  }

  @Test
  void rgbIsReducedToLuminanceForOneChannelModels() {
    InputSpec spec = new InputSpec(2, 1, 1, 1, new float[] {0}, new float[] {1});
    float[] red = {255, 0, 0, 255, 0, 0, 255, 0, 0, 255, 0, 0};
    float[] out = new Preprocessor(spec).batch(List.of(new Pixels(2, 2, 3, red)), null, null);
    assertEquals(0.299f * 255, out[0], 1e-3);
  }

  @Test
  void augmentationVariesWithTheRandomSourceAndKeepsTheShape() {
    float[] data = new float[16 * 16];
    for (int i = 0; i < data.length; i++) {
      data[i] = (i * 37) % 256;
    }
    Pixels img = new Pixels(16, 16, 1, data);
    Preprocessor p = new Preprocessor(RGB8);
    float[] plain = p.batch(List.of(img), null, null);
    float[] a = p.batch(List.of(img), Augmentation.DEFAULT, new Random(1));
    float[] b = p.batch(List.of(img), Augmentation.DEFAULT, new Random(2));
    assertEquals(plain.length, a.length);
    assertFalse(Arrays.equals(a, b));
    assertFalse(Arrays.equals(plain, a));
    float[] again = p.batch(List.of(img), Augmentation.DEFAULT, new Random(1));
    assertEquals(Arrays.toString(a), Arrays.toString(again));
  }
}
