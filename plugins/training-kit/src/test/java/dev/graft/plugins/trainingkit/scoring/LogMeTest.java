package dev.graft.plugins.trainingkit.scoring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * LogME against values computed independently with numpy (an SVD of F itself, not of a Gram
 * matrix, and the same fixed point), on deterministic data both can build, and against the
 * properties a transferability score must have.
 */
class LogMeTest {
  /** Features both this test and the numpy reference build: a hashed grid plus a class signal. */
  private static float[][] features(int n, int d, int k, double signal) {
    float[][] f = new float[n][d];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < d; j++) {
        double v = ((i * 131 + j * 71 + (i * j) % 13) % 97) / 97.0 - 0.5;
        if (j < k && i % k == j) {
          v += signal;
        }
        f[i][j] = (float) v;
      }
    }
    return f;
  }

  private static int[] labels(int n, int k) {
    int[] y = new int[n];
    for (int i = 0; i < n; i++) {
      y[i] = i % k;
    }
    return y;
  }

  private static double[][] regressionTarget(float[][] f) {
    double[][] y = new double[f.length][1];
    for (int i = 0; i < f.length; i++) {
      y[i][0] = (double) f[i][0] + 2 * (double) f[i][1] - f[i][2] + (((i * 37) % 11) / 11.0 - 0.5) * 0.1;
    }
    return y;
  }

  @Test
  void classificationMatchesNumpyWhenExamplesOutnumberFeatures() {
    assertEquals(-0.030115721554326135, LogMe.classification(features(60, 8, 3, 1.0), labels(60, 3), 3), 1e-8);
    assertEquals(-0.6133407241293041, LogMe.classification(features(200, 30, 4, 0.25), labels(200, 4), 4), 1e-8);
  }

  @Test
  void classificationMatchesNumpyWhenFeaturesOutnumberExamples() {
    assertEquals(-0.9506283995652709, LogMe.classification(features(20, 50, 2, 0.5), labels(20, 2), 2), 1e-8);
  }

  @Test
  void regressionMatchesNumpyBothWays() {
    float[][] tall = features(80, 10, 2, 0);
    assertEquals(1.5710538216054348, LogMe.regression(tall, regressionTarget(tall)), 1e-8);
    float[][] wide = features(15, 40, 2, 0);
    assertEquals(-0.5745555331492938, LogMe.regression(wide, regressionTarget(wide)), 1e-8);
  }

  @Test
  void moreInformativeFeaturesScoreHigher() {
    int[] y = labels(300, 3);
    double strong = LogMe.classification(features(300, 16, 3, 1.0), y, 3);
    double weak = LogMe.classification(features(300, 16, 3, 0.2), y, 3);
    double none = LogMe.classification(features(300, 16, 3, 0.0), y, 3);
    assertTrue(strong > weak && weak > none, strong + " > " + weak + " > " + none);
  }

  @Test
  void theOrderOfExamplesDoesNotMatter() {
    float[][] f = features(120, 12, 3, 0.5);
    int[] y = labels(120, 3);
    double before = LogMe.classification(f, y, 3);
    Integer[] order = new Integer[f.length];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    java.util.Collections.shuffle(Arrays.asList(order), new Random(3));
    float[][] g = new float[f.length][];
    int[] z = new int[f.length];
    for (int i = 0; i < order.length; i++) {
      g[i] = f[order[i]];
      z[i] = y[order[i]];
    }
    assertEquals(before, LogMe.classification(g, z, 3), 1e-9);
  }

  @Test
  void aDuplicatedFeatureColumnOnlyAddsItsPriorTerm() {
    // Rank-deficient features (a column repeated) must not break the decomposition.
    float[][] f = features(50, 6, 2, 0.8);
    float[][] g = new float[50][7];
    for (int i = 0; i < 50; i++) {
      System.arraycopy(f[i], 0, g[i], 0, 6);
      g[i][6] = f[i][0];
    }
    double score = LogMe.classification(g, labels(50, 2), 2);
    assertTrue(Double.isFinite(score), "finite on rank-deficient features: " + score);
  }

  @Test
  void theSpectrumIsTheSameFromEitherGramMatrix() {
    // n < d decomposes F F^T, n >= d decomposes F^T F: the non-zero eigenvalues agree.
    float[][] wide = features(12, 30, 2, 0.3);
    float[][] tall = new float[30][12];
    for (int i = 0; i < 12; i++) {
      for (int j = 0; j < 30; j++) {
        tall[j][i] = wide[i][j];
      }
    }
    double[] a = GramSpectrum.of(wide, new double[12][1]).eigenvalues();
    double[] b = GramSpectrum.of(tall, new double[30][1]).eigenvalues();
    Arrays.sort(a);
    Arrays.sort(b);
    assertEquals(a.length, b.length);
    for (int i = 0; i < a.length; i++) {
      assertEquals(a[i], b[i], 1e-9 * Math.max(1, a[a.length - 1]), "eigenvalue " + i);
    }
  }

  @Test
  void badInputIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> LogMe.classification(features(10, 3, 2, 0), labels(10, 2), 1));
    assertThrows(IllegalArgumentException.class, () -> LogMe.classification(features(10, 3, 2, 0), new int[] {0, 1}, 2));
    float[][] f = features(10, 3, 2, 0);
    f[4][1] = Float.NaN;
    assertThrows(IllegalArgumentException.class, () -> LogMe.classification(f, labels(10, 2), 2));
  }
}
