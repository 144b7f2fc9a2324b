package dev.graft.plugins.timeseries.pretrain;

import java.util.SplittableRandom;

/**
 * Generates one synthetic series from a seed: a random sum of trend, seasonalities of several
 * periods (sine, square, sawtooth), an AR(2) process, a Gaussian-process draw from a composed
 * kernel (RBF, periodic, linear; sums and products), regime changes (level and noise shifts) and
 * white noise of a random level. Deterministic for a seed; stateless and thread-safe.
 */
public final class SyntheticSeries {
  private static final int[] PERIODS = {4, 5, 7, 12, 24, 30, 52};

  private SyntheticSeries() {}

  /** A series of {@code length} points drawn with {@code rng}. */
  public static float[] generate(SplittableRandom rng, int length) {
    double[] x = new double[length];
    if (rng.nextDouble() < 0.6) {
      addTrend(x, rng);
    }
    int seasons = rng.nextInt(4);
    for (int s = 0; s < seasons; s++) {
      addSeason(x, rng);
    }
    if (rng.nextDouble() < 0.5) {
      addAr(x, rng);
    }
    if (rng.nextDouble() < 0.3) {
      addGaussianProcess(x, rng);
    }
    if (rng.nextDouble() < 0.2) {
      addRegimes(x, rng);
    }
    double noise = Math.pow(10, -2 + 2 * rng.nextDouble());
    double level = rng.nextDouble() < 0.5 ? 0 : rng.nextGaussian() * 10;
    double scale = Math.pow(10, -1 + 3 * rng.nextDouble());
    float[] out = new float[length];
    for (int t = 0; t < length; t++) {
      out[t] = (float) (scale * (x[t] + noise * rng.nextGaussian()) + level * scale);
    }
    return out;
  }

  private static void addTrend(double[] x, SplittableRandom rng) {
    double slope = rng.nextGaussian() * 0.02;
    double curve = rng.nextDouble() < 0.3 ? rng.nextGaussian() * 1e-4 : 0;
    int kink = rng.nextInt(x.length);
    double slope2 = rng.nextDouble() < 0.3 ? rng.nextGaussian() * 0.02 : slope;
    double v = 0;
    for (int t = 0; t < x.length; t++) {
      v += t < kink ? slope : slope2;
      x[t] += v + curve * t * t;
    }
  }

  private static void addSeason(double[] x, SplittableRandom rng) {
    int period = PERIODS[rng.nextInt(PERIODS.length)];
    double amplitude = 0.3 + 1.5 * rng.nextDouble();
    double phase = rng.nextDouble() * 2 * Math.PI;
    int shape = rng.nextInt(4);
    for (int t = 0; t < x.length; t++) {
      double u = 2 * Math.PI * t / period + phase;
      double v = switch (shape) {
        case 0 -> Math.signum(Math.sin(u));
        case 1 -> 2 * ((u / (2 * Math.PI)) % 1.0) - 1;
        case 2 -> Math.sin(u) + 0.5 * Math.sin(2 * u);
        default -> Math.sin(u);
      };
      x[t] += amplitude * v;
    }
  }

  private static void addAr(double[] x, SplittableRandom rng) {
    double a1 = -0.5 + 1.4 * rng.nextDouble();
    double a2 = (rng.nextDouble() - 0.5) * 0.6;
    if (Math.abs(a1) + Math.abs(a2) >= 0.98) {
      a2 = Math.signum(a2) * (0.97 - Math.abs(a1));
    }
    double sd = 0.1 + 0.5 * rng.nextDouble();
    double p1 = 0;
    double p2 = 0;
    for (int t = 0; t < x.length; t++) {
      double v = a1 * p1 + a2 * p2 + sd * rng.nextGaussian();
      x[t] += v;
      p2 = p1;
      p1 = v;
    }
  }

  private static void addRegimes(double[] x, SplittableRandom rng) {
    int at = x.length / 4 + rng.nextInt(x.length / 2);
    double shift = rng.nextGaussian() * 2;
    double noise = rng.nextDouble() * 0.5;
    for (int t = at; t < x.length; t++) {
      x[t] += shift + noise * rng.nextGaussian();
    }
  }

  /** Adds a GP draw on a grid of at most 128 points, linearly interpolated (Cholesky, jittered). */
  private static void addGaussianProcess(double[] x, SplittableRandom rng) {
    int n = Math.min(128, x.length);
    double step = (x.length - 1) / (double) (n - 1);
    double[][] k = new double[n][n];
    Kernel kernel = Kernel.random(rng, x.length);
    for (int i = 0; i < n; i++) {
      for (int j = 0; j <= i; j++) {
        double v = kernel.at(i * step, j * step);
        k[i][j] = v;
        k[j][i] = v;
      }
      k[i][i] += 1e-4;
    }
    double[] z = new double[n];
    for (int i = 0; i < n; i++) {
      z[i] = rng.nextGaussian();
    }
    double[] g = Cholesky.sample(k, z);
    for (int t = 0; t < x.length; t++) {
      double pos = t / step;
      int i = Math.min(n - 2, (int) pos);
      double w = pos - i;
      x[t] += g[i] * (1 - w) + g[i + 1] * w;
    }
  }
}
