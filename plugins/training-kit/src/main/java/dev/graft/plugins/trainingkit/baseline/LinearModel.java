package dev.graft.plugins.trainingkit.baseline;

import java.util.List;
import java.util.Random;

/**
 * A linear model on sparse rows, trained by plain stochastic gradient descent with a decaying step
 * and a fixed number of passes: softmax regression over {@code k} classes, or least squares for
 * one standardised value ({@code k = 1, regression}). Small and deterministic (seeded shuffles): a
 * baseline, not a tuned model. Not thread-safe.
 */
final class LinearModel {
  static final int EPOCHS = 10;

  private final int k;
  private final boolean regression;
  private final float[][] w;
  private final float[] b;

  LinearModel(int dimension, int k, boolean regression) {
    this.k = k;
    this.regression = regression;
    this.w = new float[k][dimension];
    this.b = new float[k];
  }

  /** Fits {@code rows} (null rows skipped) to class indexes, or to values when regression. */
  void fit(List<RawFeatures.Row> rows, float[] targets, float step, long seed) {
    int[] order = new int[rows.size()];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Random random = new Random(seed);
    float[] scores = new float[k];
    for (int epoch = 0; epoch < EPOCHS; epoch++) {
      for (int i = order.length - 1; i > 0; i--) {
        int j = random.nextInt(i + 1);
        int t = order[i];
        order[i] = order[j];
        order[j] = t;
      }
      float lr = step / (1 + 0.5f * epoch);
      for (int i : order) {
        RawFeatures.Row row = rows.get(i);
        if (row == null) {
          continue;
        }
        score(row, scores);
        for (int c = 0; c < k; c++) {
          float gradient = regression ? scores[c] - targets[i] : scores[c] - (c == (int) targets[i] ? 1 : 0);
          if (gradient == 0) {
            continue;
          }
          float g = lr * gradient;
          float[] wc = w[c];
          for (int n = 0; n < row.index().length; n++) {
            wc[row.index()[n]] -= g * row.value()[n];
          }
          b[c] -= g;
        }
      }
    }
  }

  /** Class probabilities (softmax) or the value, into {@code out}. */
  void score(RawFeatures.Row row, float[] out) {
    double max = Double.NEGATIVE_INFINITY;
    for (int c = 0; c < k; c++) {
      float s = b[c];
      float[] wc = w[c];
      for (int n = 0; n < row.index().length; n++) {
        s += wc[row.index()[n]] * row.value()[n];
      }
      out[c] = s;
      max = Math.max(max, s);
    }
    if (regression) {
      return;
    }
    double sum = 0;
    for (int c = 0; c < k; c++) {
      out[c] = (float) Math.exp(out[c] - max);
      sum += out[c];
    }
    for (int c = 0; c < k; c++) {
      out[c] /= (float) sum;
    }
  }

  /** The most probable class of {@code row}. */
  int predict(RawFeatures.Row row) {
    float[] p = new float[k];
    score(row, p);
    int best = 0;
    for (int c = 1; c < k; c++) {
      if (p[c] > p[best]) {
        best = c;
      }
    }
    return best;
  }
}
