package dev.graft.plugins.nlp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.graft.spi.Pooling;
import org.junit.jupiter.api.Test;

class TokenPoolingTest {

  // batch 2, length 3, width 2; row 1 has its last token masked out.
  private static final float[] HIDDEN = {
    1, 10, 3, -2, 5, 4,
    2, 2, 4, 6, 100, -100
  };
  private static final long[] MASK = {1, 1, 1, 1, 1, 0};

  @Test
  void meanIsMaskWeighted() {
    float[][] out = TokenPooling.pool(HIDDEN, MASK, 2, 3, 2, Pooling.MEAN, false);
    assertArrayEquals(new float[] {3, 4}, out[0], 1e-6f);
    assertArrayEquals(new float[] {3, 4}, out[1], 1e-6f);
  }

  @Test
  void clsIsTheFirstToken() {
    float[][] out = TokenPooling.pool(HIDDEN, MASK, 2, 3, 2, Pooling.CLS, false);
    assertArrayEquals(new float[] {1, 10}, out[0]);
    assertArrayEquals(new float[] {2, 2}, out[1]);
  }

  @Test
  void maxIgnoresPadding() {
    float[][] out = TokenPooling.pool(HIDDEN, MASK, 2, 3, 2, Pooling.MAX, false);
    assertArrayEquals(new float[] {5, 10}, out[0]);
    assertArrayEquals(new float[] {4, 6}, out[1]);
  }

  @Test
  void normalizeGivesUnitLengthAndKeepsZero() {
    float[][] out = TokenPooling.pool(HIDDEN, MASK, 2, 3, 2, Pooling.MEAN, true);
    assertArrayEquals(new float[] {0.6f, 0.8f}, out[0], 1e-6f);
    float[] zero = new float[3];
    TokenPooling.l2Normalize(zero);
    assertArrayEquals(new float[3], zero);
    assertEquals(3, zero.length);
  }
}
