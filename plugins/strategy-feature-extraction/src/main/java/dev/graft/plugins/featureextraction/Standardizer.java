package dev.graft.plugins.featureextraction;

/**
 * Per-dimension standardisation {@code (x - mean) / std}, fitted on a training set. A dimension
 * that is (nearly) constant keeps a scale of 1, so it maps to 0 instead of blowing up. Immutable
 * after construction (the arrays are never handed out for writing) and thread-safe.
 */
final class Standardizer {
  /** Below this standard deviation a dimension is treated as constant. */
  static final double MIN_STD = 1e-6;

  private final float[] mean;
  private final float[] std;

  Standardizer(float[] mean, float[] std) {
    if (mean.length != std.length) {
      throw new IllegalArgumentException("mean and std differ in length");
    }
    this.mean = mean.clone();
    this.std = std.clone();
  }

  /** Fits mean and (population) standard deviation per column of {@code rows}. */
  static Standardizer fit(float[][] rows, int dimension) {
    double[] sum = new double[dimension];
    for (float[] row : rows) {
      for (int j = 0; j < dimension; j++) {
        sum[j] += row[j];
      }
    }
    int n = Math.max(1, rows.length);
    float[] mean = new float[dimension];
    for (int j = 0; j < dimension; j++) {
      mean[j] = (float) (sum[j] / n);
    }
    double[] squares = new double[dimension];
    for (float[] row : rows) {
      for (int j = 0; j < dimension; j++) {
        double d = row[j] - mean[j];
        squares[j] += d * d;
      }
    }
    float[] std = new float[dimension];
    for (int j = 0; j < dimension; j++) {
      double s = Math.sqrt(squares[j] / n);
      std[j] = s < MIN_STD ? 1f : (float) s;
    }
    return new Standardizer(mean, std);
  }

  int dimension() {
    return mean.length;
  }

  float[] mean() {
    return mean.clone();
  }

  float[] std() {
    return std.clone();
  }

  /** Standardises {@code rows} into one row-major array of {@code rows.length * dimension()}. */
  float[] applyFlat(float[][] rows) {
    int d = mean.length;
    float[] out = new float[rows.length * d];
    for (int i = 0; i < rows.length; i++) {
      float[] row = rows[i];
      for (int j = 0; j < d; j++) {
        out[i * d + j] = (row[j] - mean[j]) / std[j];
      }
    }
    return out;
  }

  /** Maps a row-major array of standardised rows back to the original scale, in place. */
  void invertInPlace(float[] flat) {
    int d = mean.length;
    for (int i = 0; i < flat.length; i++) {
      int j = i % d;
      flat[i] = flat[i] * std[j] + mean[j];
    }
  }
}
