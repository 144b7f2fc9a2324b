package dev.graft.plugins.trainingkit;

/**
 * Per-column mean and standard deviation of regression targets, so the head learns standardised
 * values; predictions are mapped back. Immutable by convention (arrays are not copied).
 *
 * @param mean per-output mean
 * @param std per-output standard deviation (at least 1e-6)
 */
record TargetScale(float[] mean, float[] std) {

  /** Fits the scale of row-major {@code values}, {@code width} per row. */
  static TargetScale fit(float[] values, int width) {
    int n = values.length / width;
    float[] mean = new float[width];
    float[] std = new float[width];
    for (int c = 0; c < width; c++) {
      double sum = 0;
      for (int r = 0; r < n; r++) {
        sum += values[r * width + c];
      }
      double m = n == 0 ? 0 : sum / n;
      double sq = 0;
      for (int r = 0; r < n; r++) {
        double d = values[r * width + c] - m;
        sq += d * d;
      }
      mean[c] = (float) m;
      std[c] = (float) Math.max(1e-6, n == 0 ? 1 : Math.sqrt(sq / n));
    }
    return new TargetScale(mean, std);
  }

  float[] apply(float[] raw) {
    float[] out = new float[raw.length];
    int w = mean.length;
    for (int i = 0; i < raw.length; i++) {
      out[i] = (raw[i] - mean[i % w]) / std[i % w];
    }
    return out;
  }

  float[] invert(float[] standardised) {
    float[] out = new float[standardised.length];
    int w = mean.length;
    for (int i = 0; i < out.length; i++) {
      out[i] = standardised[i] * std[i % w] + mean[i % w];
    }
    return out;
  }
}
