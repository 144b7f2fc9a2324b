package dev.graft.plugins.trainingkit.scoring;

/**
 * LogME (You, Liu, Wang and Long, "LogME: Practical Assessment of Pre-trained Models for Transfer
 * Learning", ICML 2021): how well frozen features {@code F} (n &times; d) explain the targets,
 * as the log marginal evidence of a Bayesian linear model, per example.
 *
 * <p>For one target column y: w ~ N(0, alpha^-1 I), y | F, w ~ N(F w, beta^-1 I). The evidence
 * p(y | F, alpha, beta) is maximised over alpha and beta by MacKay's fixed point: with s<sub>i</sub>
 * the eigenvalues of F^T F (&sigma;<sub>i</sub>&sup2;) and z<sub>i</sub> = u<sub>i</sub>&middot;y,
 *
 * <pre>
 *   gamma = sum_i beta s_i / (alpha + beta s_i)
 *   |m|^2 = sum_i beta^2 s_i z_i^2 / (alpha + beta s_i)^2          (m: the posterior mean)
 *   |F m - y|^2 = sum_i alpha^2 z_i^2 / (alpha + beta s_i)^2 + |y outside F's column space|^2
 *   alpha &lt;- gamma / |m|^2,   beta &lt;- (n - gamma) / |F m - y|^2
 * </pre>
 *
 * from alpha = beta = 1 until alpha/beta changes by less than {@value #TOLERANCE} (relative), at most
 * {@value #MAX_ITERATIONS} times. Then
 *
 * <pre>
 *   log p(y) = n/2 log beta + d/2 log alpha - n/2 log 2 pi - beta/2 |F m - y|^2 - alpha/2 |m|^2
 *              - 1/2 sum_{i=1..d} log(alpha + beta s_i)
 * </pre>
 *
 * (s<sub>i</sub> = 0 beyond the rank). LogME is this divided by n, averaged over the targets:
 * one one-hot column per class for classification, the value for regression. Higher is better;
 * scores compare base models on one data set, not data sets with each other. The spectrum comes
 * from {@link GramSpectrum} (double precision). Stateless.
 */
public final class LogMe {
  static final int MAX_ITERATIONS = 100;
  static final double TOLERANCE = 1e-6;
  /** Keeps alpha and beta finite when the fit is exact or the mean vanishes. */
  private static final double FLOOR = 1e-12;

  private LogMe() {}

  /**
   * LogME of {@code features} for classes {@code labels[i]} in 0..classes-1 (one one-hot target
   * per class that occurs in {@code labels}).
   *
   * @throws IllegalArgumentException for fewer than 2 classes, a label out of range, or bad features
   */
  public static double classification(float[][] features, int[] labels, int classes) {
    if (classes < 2) {
      throw new IllegalArgumentException("classification needs at least 2 classes, got " + classes);
    }
    if (labels.length != features.length) {
      throw new IllegalArgumentException(labels.length + " labels for " + features.length + " feature rows");
    }
    // One column per class that occurs: a class without examples is an all-zero target that says
    // nothing about the features.
    int[] column = new int[classes];
    java.util.Arrays.fill(column, -1);
    int present = 0;
    for (int i = 0; i < labels.length; i++) {
      if (labels[i] < 0 || labels[i] >= classes) {
        throw new IllegalArgumentException("label " + labels[i] + " of row " + i + " is not in 0.." + (classes - 1));
      }
      if (column[labels[i]] < 0) {
        column[labels[i]] = present++;
      }
    }
    double[][] targets = new double[labels.length][present];
    for (int i = 0; i < labels.length; i++) {
      targets[i][column[labels[i]]] = 1;
    }
    return score(GramSpectrum.of(features, targets));
  }

  /** LogME of {@code features} for real-valued targets, one column each ({@code targets[i][t]}). */
  public static double regression(float[][] features, double[][] targets) {
    return score(GramSpectrum.of(features, targets));
  }

  /** The mean over the spectrum's targets of the per-example log evidence. */
  public static double score(GramSpectrum spectrum) {
    double sum = 0;
    for (int t = 0; t < spectrum.targets(); t++) {
      sum += evidence(spectrum, t).perExample();
    }
    return sum / spectrum.targets();
  }

  /** The maximised evidence of target {@code t}, with the alpha and beta that maximise it. */
  public static Evidence evidence(GramSpectrum spectrum, int t) {
    double[] s = spectrum.eigenvalues();
    double[] z2 = spectrum.projection(t);
    double outside = spectrum.outside(t);
    int n = spectrum.rows();
    int d = spectrum.columns();
    double alpha = 1;
    double beta = 1;
    double meanNorm = 0;
    double residual = 0;
    for (int iteration = 0; iteration < MAX_ITERATIONS; iteration++) {
      double gamma = 0;
      meanNorm = 0;
      residual = outside;
      for (int i = 0; i < s.length; i++) {
        double denominator = alpha + beta * s[i];
        gamma += beta * s[i] / denominator;
        meanNorm += beta * beta * s[i] * z2[i] / (denominator * denominator);
        residual += alpha * alpha * z2[i] / (denominator * denominator);
      }
      double nextAlpha = gamma / Math.max(meanNorm, FLOOR);
      double nextBeta = (n - gamma) / Math.max(residual, FLOOR);
      nextAlpha = Math.max(nextAlpha, FLOOR);
      nextBeta = Math.max(nextBeta, FLOOR);
      double ratio = alpha / beta;
      double nextRatio = nextAlpha / nextBeta;
      alpha = nextAlpha;
      beta = nextBeta;
      if (Math.abs(nextRatio - ratio) <= TOLERANCE * ratio) {
        break;
      }
    }
    // The evidence at the final alpha and beta, with m and the residual recomputed for them.
    meanNorm = 0;
    residual = outside;
    double logDeterminant = (d - s.length) * Math.log(alpha);
    for (int i = 0; i < s.length; i++) {
      double denominator = alpha + beta * s[i];
      meanNorm += beta * beta * s[i] * z2[i] / (denominator * denominator);
      residual += alpha * alpha * z2[i] / (denominator * denominator);
      logDeterminant += Math.log(denominator);
    }
    double evidence = n / 2.0 * Math.log(beta) + d / 2.0 * Math.log(alpha) - n / 2.0 * Math.log(2 * Math.PI)
        - beta / 2 * residual - alpha / 2 * meanNorm - logDeterminant / 2;
    return new Evidence(evidence / n, alpha, beta);
  }

  /** One target's maximised log evidence per example and its hyperparameters. */
  public record Evidence(double perExample, double alpha, double beta) {}
}
