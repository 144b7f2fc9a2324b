package dev.graft.plugins.trainingkit.baseline;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The linear probe finds a signal that is in the features and none where there is none. */
class FeatureProbeTest {
  private static float[][] gaussian(int n, int d, Random r) {
    float[][] f = new float[n][d];
    for (float[] row : f) {
      for (int j = 0; j < d; j++) {
        row[j] = (float) (r.nextGaussian() * 3 + 10); // off-centre and wide: the probe scales
      }
    }
    return f;
  }

  @Test
  void separableClassesAreFoundAndNoiseIsNot() {
    Random r = new Random(1);
    int n = 400;
    int d = 64;
    float[][] x = gaussian(n, d, r);
    int[] y = new int[n];
    for (int i = 0; i < n; i++) {
      y[i] = i % 4;
      x[i][y[i]] += 12; // class c lifts feature c by 4 sd
    }
    float[][] train = java.util.Arrays.copyOfRange(x, 0, 320);
    float[][] validation = java.util.Arrays.copyOfRange(x, 320, n);
    int[] trainY = java.util.Arrays.copyOfRange(y, 0, 320);
    int[] validationY = java.util.Arrays.copyOfRange(y, 320, n);
    double informative = FeatureProbe.accuracy(train, trainY, validation, validationY, 4, 7);
    assertTrue(informative > 0.9, "accuracy on separable features " + informative);

    float[][] noise = gaussian(n, d, new Random(2));
    double blind = FeatureProbe.accuracy(java.util.Arrays.copyOfRange(noise, 0, 320), trainY,
        java.util.Arrays.copyOfRange(noise, 320, n), validationY, 4, 7);
    assertTrue(blind < 0.45, "accuracy on noise " + blind);
  }

  @Test
  void regressionExplainsALinearTargetAndNotNoise() {
    Random r = new Random(3);
    int n = 500;
    float[][] x = gaussian(n, 16, r);
    double[] y = new double[n];
    double[] noise = new double[n];
    for (int i = 0; i < n; i++) {
      y[i] = 2 * x[i][0] - x[i][5] + 0.1 * r.nextGaussian();
      noise[i] = r.nextGaussian();
    }
    float[][] train = java.util.Arrays.copyOfRange(x, 0, 400);
    float[][] validation = java.util.Arrays.copyOfRange(x, 400, n);
    double fit = FeatureProbe.rSquared(train, java.util.Arrays.copyOfRange(y, 0, 400), validation,
        java.util.Arrays.copyOfRange(y, 400, n), 5);
    assertTrue(fit > 0.8, "R^2 of a linear target " + fit);
    double none = FeatureProbe.rSquared(train, java.util.Arrays.copyOfRange(noise, 0, 400), validation,
        java.util.Arrays.copyOfRange(noise, 400, n), 5);
    assertTrue(none < 0.1, "R^2 of noise " + none);
  }

  @Test
  void emptySplitsAreRefused() {
    assertThrows(IllegalArgumentException.class,
        () -> FeatureProbe.accuracy(new float[0][], new int[0], new float[1][2], new int[1], 2, 1));
  }
}
