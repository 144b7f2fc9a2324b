package dev.graft.plugins.timeseries.pretrain;

/**
 * Forecast baselines and errors on one window: naive (the last value), seasonal-naive (the value
 * one season back), drift (the line through the first and last values), and MASE scaled by the
 * window's in-sample lag-1 naive error. Stateless and thread-safe.
 */
public final class Baselines {
  private Baselines() {}

  public static float[] naive(float[] context, int horizon) {
    float[] out = new float[horizon];
    java.util.Arrays.fill(out, context[context.length - 1]);
    return out;
  }

  public static float[] seasonalNaive(float[] context, int horizon, int season) {
    if (season < 2 || season > context.length) {
      return naive(context, horizon);
    }
    float[] out = new float[horizon];
    for (int k = 0; k < horizon; k++) {
      out[k] = context[context.length - season + (k % season)];
    }
    return out;
  }

  public static float[] drift(float[] context, int horizon) {
    int n = context.length;
    float slope = n > 1 ? (context[n - 1] - context[0]) / (n - 1) : 0;
    float[] out = new float[horizon];
    for (int k = 0; k < horizon; k++) {
      out[k] = context[n - 1] + slope * (k + 1);
    }
    return out;
  }

  /** The mean absolute lag-1 difference of the context (0 for a constant context). */
  public static double naiveScale(float[] context) {
    double s = 0;
    for (int i = 1; i < context.length; i++) {
      s += Math.abs(context[i] - context[i - 1]);
    }
    return context.length > 1 ? s / (context.length - 1) : 0;
  }

  public static double mae(float[] predicted, float[] truth) {
    double s = 0;
    for (int i = 0; i < truth.length; i++) {
      s += Math.abs(predicted[i] - truth[i]);
    }
    return s / truth.length;
  }

  public static double mse(float[] predicted, float[] truth) {
    double s = 0;
    for (int i = 0; i < truth.length; i++) {
      s += (predicted[i] - truth[i]) * (predicted[i] - truth[i]);
    }
    return s / truth.length;
  }

  /**
   * A season length found by autocorrelation of the first differences (the lag in 2 … n/2 with
   * the highest ACF, if over 0.3), or 1 when none.
   */
  public static int detectSeason(float[] series) {
    float[] x = new float[Math.max(0, series.length - 1)];
    for (int i = 0; i < x.length; i++) {
      x[i] = series[i + 1] - series[i];
    }
    int n = x.length;
    if (n < 4) {
      return 1;
    }
    double mean = 0;
    for (float v : x) {
      mean += v;
    }
    mean /= n;
    double var = 0;
    for (float v : x) {
      var += (v - mean) * (v - mean);
    }
    if (var == 0) {
      return 1;
    }
    int best = 1;
    double bestAcf = 0.3;
    for (int lag = 2; lag <= n / 2; lag++) {
      double c = 0;
      for (int t = lag; t < n; t++) {
        c += (x[t] - mean) * (x[t - lag] - mean);
      }
      double acf = c / var;
      if (acf > bestAcf) {
        bestAcf = acf;
        best = lag;
      }
    }
    return best;
  }
}
