package dev.graft.plugins.trainingkit.scoring;

/**
 * Quality measures over row-major outputs: accuracy and macro F1 from logits, MAE and RMSE from
 * values; confusion counts. Stateless and thread-safe.
 */
public final class Scores {
  private Scores() {}

  /** The index of the largest of each row of {@code k} scores (the first on ties). */
  public static int[] argmax(float[] scores, int k) {
    int n = scores.length / k;
    int[] best = new int[n];
    for (int i = 0; i < n; i++) {
      int arg = 0;
      for (int c = 1; c < k; c++) {
        if (scores[i * k + c] > scores[i * k + arg]) {
          arg = c;
        }
      }
      best[i] = arg;
    }
    return best;
  }

  public static double accuracy(int[] predicted, long[] truth) {
    if (truth.length == 0) {
      return 0;
    }
    int correct = 0;
    for (int i = 0; i < truth.length; i++) {
      if (predicted[i] == truth[i]) {
        correct++;
      }
    }
    return (double) correct / truth.length;
  }

  /**
   * The confusion counts of {@code k} classes, row-major: {@code [t * k + p]} examples of true
   * class t predicted p.
   */
  public static long[] confusion(int[] predicted, long[] truth, int k) {
    long[] counts = new long[k * k];
    for (int i = 0; i < truth.length; i++) {
      counts[(int) truth[i] * k + predicted[i]]++;
    }
    return counts;
  }

  /** The mean of per-class F1 over the classes present in the truth or the predictions. */
  public static double macroF1(int[] predicted, long[] truth, int k) {
    long[] tp = new long[k];
    long[] fp = new long[k];
    long[] fn = new long[k];
    for (int i = 0; i < truth.length; i++) {
      int t = (int) truth[i];
      int p = predicted[i];
      if (p == t) {
        tp[t]++;
      } else {
        fp[p]++;
        fn[t]++;
      }
    }
    double sum = 0;
    int classes = 0;
    for (int c = 0; c < k; c++) {
      long denominator = 2 * tp[c] + fp[c] + fn[c];
      if (denominator > 0) {
        sum += 2.0 * tp[c] / denominator;
        classes++;
      }
    }
    return classes == 0 ? 0 : sum / classes;
  }

  public static double mae(float[] predicted, float[] truth) {
    double sum = 0;
    for (int i = 0; i < truth.length; i++) {
      sum += Math.abs(predicted[i] - truth[i]);
    }
    return truth.length == 0 ? 0 : sum / truth.length;
  }

  public static double rmse(float[] predicted, float[] truth) {
    double sum = 0;
    for (int i = 0; i < truth.length; i++) {
      double d = predicted[i] - truth[i];
      sum += d * d;
    }
    return truth.length == 0 ? 0 : Math.sqrt(sum / truth.length);
  }
}
