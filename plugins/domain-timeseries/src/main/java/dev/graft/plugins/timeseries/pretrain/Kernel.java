package dev.graft.plugins.timeseries.pretrain;

import java.util.SplittableRandom;

/** A covariance kernel for Gaussian-process draws: a leaf or a sum/product of two. Immutable. */
interface Kernel {
  double at(double s, double t);

  /** A random composition of RBF, periodic and linear kernels over a series of {@code length}. */
  static Kernel random(SplittableRandom rng, int length) {
    Kernel a = leaf(rng, length);
    if (rng.nextDouble() < 0.5) {
      return a;
    }
    Kernel b = leaf(rng, length);
    return rng.nextBoolean() ? (s, t) -> a.at(s, t) + b.at(s, t) : (s, t) -> a.at(s, t) * b.at(s, t);
  }

  private static Kernel leaf(SplittableRandom rng, int length) {
    switch (rng.nextInt(3)) {
      case 0: {
        double ell = length * (0.02 + 0.3 * rng.nextDouble());
        return (s, t) -> Math.exp(-(s - t) * (s - t) / (2 * ell * ell));
      }
      case 1: {
        double period = 4 + rng.nextInt(60);
        double ell = 0.5 + rng.nextDouble();
        return (s, t) -> {
          double d = Math.sin(Math.PI * Math.abs(s - t) / period);
          return Math.exp(-2 * d * d / (ell * ell));
        };
      }
      default: {
        double c = rng.nextDouble() * length;
        double v = 1.0 / (length * length);
        return (s, t) -> v * (s - c) * (t - c) + 0.1;
      }
    }
  }
}
