package dev.graft.plugins.nlp;

import dev.graft.spi.Pooling;
import java.util.Arrays;

/**
 * Reduces token features {@code [batch, length, hidden]} (flat, row-major) to one vector per
 * row, honouring the attention mask, and optionally L2-normalises. Stateless.
 */
final class TokenPooling {

  private static final double EPSILON = 1e-12;

  private TokenPooling() {}

  /**
   * Pools every row of {@code hidden}.
   *
   * @param pooling MEAN (mask-weighted average), CLS (token 0) or MAX (max over unmasked
   *     tokens); not DEFAULT
   * @param mask the attention mask, {@code [batch, length]}
   */
  static float[][] pool(
      float[] hidden, long[] mask, int batch, int length, int width, Pooling pooling,
      boolean normalize) {
    float[][] out = new float[batch][];
    for (int b = 0; b < batch; b++) {
      float[] vector = switch (pooling) {
        case MEAN -> mean(hidden, mask, b, length, width);
        case CLS -> cls(hidden, b, length, width);
        case MAX -> max(hidden, mask, b, length, width);
        case DEFAULT -> throw new IllegalArgumentException("resolve DEFAULT pooling first");
      };
      if (normalize) {
        l2Normalize(vector);
      }
      out[b] = vector;
    }
    return out;
  }

  private static float[] mean(float[] hidden, long[] mask, int b, int length, int width) {
    double[] sum = new double[width];
    long count = 0;
    for (int t = 0; t < length; t++) {
      if (mask[b * length + t] == 0) {
        continue;
      }
      count++;
      int offset = (b * length + t) * width;
      for (int h = 0; h < width; h++) {
        sum[h] += hidden[offset + h];
      }
    }
    float[] vector = new float[width];
    double divisor = Math.max(count, 1);
    for (int h = 0; h < width; h++) {
      vector[h] = (float) (sum[h] / divisor);
    }
    return vector;
  }

  private static float[] cls(float[] hidden, int b, int length, int width) {
    float[] vector = new float[width];
    System.arraycopy(hidden, b * length * width, vector, 0, width);
    return vector;
  }

  private static float[] max(float[] hidden, long[] mask, int b, int length, int width) {
    float[] vector = new float[width];
    Arrays.fill(vector, Float.NEGATIVE_INFINITY);
    boolean any = false;
    for (int t = 0; t < length; t++) {
      if (mask[b * length + t] == 0) {
        continue;
      }
      any = true;
      int offset = (b * length + t) * width;
      for (int h = 0; h < width; h++) {
        vector[h] = Math.max(vector[h], hidden[offset + h]);
      }
    }
    if (!any) {
      Arrays.fill(vector, 0f);
    }
    return vector;
  }

  /** Scales {@code vector} in place to unit L2 norm (a zero vector stays zero). */
  static void l2Normalize(float[] vector) {
    double squares = 0;
    for (float v : vector) {
      squares += (double) v * v;
    }
    double norm = Math.max(Math.sqrt(squares), EPSILON);
    for (int i = 0; i < vector.length; i++) {
      vector[i] = (float) (vector[i] / norm);
    }
  }
}
