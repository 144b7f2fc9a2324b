package dev.graft.plugins.timeseries.pretrain;

/** Draws from N(0, K) through a Cholesky factor. Stateless and thread-safe. */
final class Cholesky {
  private Cholesky() {}

  /** {@code L z} with {@code K = L Lᵀ}; {@code k} is overwritten with {@code L}. */
  static double[] sample(double[][] k, double[] z) {
    int n = z.length;
    for (int j = 0; j < n; j++) {
      double d = k[j][j];
      for (int m = 0; m < j; m++) {
        d -= k[j][m] * k[j][m];
      }
      double ljj = Math.sqrt(Math.max(d, 1e-9));
      k[j][j] = ljj;
      for (int i = j + 1; i < n; i++) {
        double s = k[i][j];
        for (int m = 0; m < j; m++) {
          s -= k[i][m] * k[j][m];
        }
        k[i][j] = s / ljj;
      }
    }
    double[] out = new double[n];
    for (int i = 0; i < n; i++) {
      double s = 0;
      for (int m = 0; m <= i; m++) {
        s += k[i][m] * z[m];
      }
      out[i] = s;
    }
    return out;
  }
}
