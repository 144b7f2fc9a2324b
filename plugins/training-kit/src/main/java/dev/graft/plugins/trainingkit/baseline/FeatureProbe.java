package dev.graft.plugins.trainingkit.baseline;

import java.util.ArrayList;
import java.util.List;

/**
 * A quick linear probe on frozen features: the baselines' {@link LinearModel} (softmax regression,
 * or least squares on the standardised value) trained on one split's features and scored on
 * another's. Each feature is standardised with the training split's mean and spread (floored at
 * {@value #MIN_SPREAD}) and every row L2-normalised, as the raw-input baselines do, so that plain
 * SGD stays stable whatever the features' scale. Seconds for a few thousand rows of a thousand
 * features. Stateless.
 */
public final class FeatureProbe {
  static final double MIN_SPREAD = 1e-6;

  private FeatureProbe() {}

  /** Accuracy on {@code validation} of a softmax regression fitted to {@code train}. */
  public static double accuracy(float[][] train, int[] trainLabels, float[][] validation, int[] validationLabels,
      int classes, long seed) {
    if (train.length == 0 || validation.length == 0 || classes < 2) {
      throw new IllegalArgumentException("a probe needs training and validation rows and 2 classes or more");
    }
    Scale scale = Scale.fit(train);
    float[] targets = new float[trainLabels.length];
    for (int i = 0; i < targets.length; i++) {
      targets[i] = trainLabels[i];
    }
    LinearModel model = new LinearModel(scale.dimension(), classes, false);
    model.fit(scale.rows(train), targets, 0.5f, seed);
    int correct = 0;
    List<RawFeatures.Row> rows = scale.rows(validation);
    for (int i = 0; i < rows.size(); i++) {
      if (model.predict(rows.get(i)) == validationLabels[i]) {
        correct++;
      }
    }
    return (double) correct / rows.size();
  }

  /**
   * R&sup2; on {@code validation} (1 - squared error / the squared spread around the training mean)
   * of a least-squares model fitted to {@code train} by SGD on standardised values.
   */
  public static double rSquared(float[][] train, double[] trainValues, float[][] validation,
      double[] validationValues, long seed) {
    if (train.length == 0 || validation.length == 0) {
      throw new IllegalArgumentException("a probe needs training and validation rows");
    }
    double mean = 0;
    for (double v : trainValues) {
      mean += v;
    }
    mean /= trainValues.length;
    double var = 0;
    for (double v : trainValues) {
      var += (v - mean) * (v - mean);
    }
    double sd = Math.max(Math.sqrt(var / trainValues.length), MIN_SPREAD);
    float[] targets = new float[trainValues.length];
    for (int i = 0; i < targets.length; i++) {
      targets[i] = (float) ((trainValues[i] - mean) / sd);
    }
    Scale scale = Scale.fit(train);
    LinearModel model = new LinearModel(scale.dimension(), 1, true);
    model.fit(scale.rows(train), targets, 0.1f, seed);
    List<RawFeatures.Row> rows = scale.rows(validation);
    float[] out = new float[1];
    double error = 0;
    double spread = 0;
    for (int i = 0; i < rows.size(); i++) {
      model.score(rows.get(i), out);
      double predicted = out[0] * sd + mean;
      error += (predicted - validationValues[i]) * (predicted - validationValues[i]);
      spread += (validationValues[i] - mean) * (validationValues[i] - mean);
    }
    return spread == 0 ? 0 : 1 - error / spread;
  }

  /** Per-feature standardisation fitted on the training rows. */
  private record Scale(double[] mean, double[] spread) {
    static Scale fit(float[][] rows) {
      int d = rows[0].length;
      double[] mean = new double[d];
      double[] spread = new double[d];
      for (float[] r : rows) {
        for (int j = 0; j < d; j++) {
          mean[j] += r[j];
        }
      }
      for (int j = 0; j < d; j++) {
        mean[j] /= rows.length;
      }
      for (float[] r : rows) {
        for (int j = 0; j < d; j++) {
          spread[j] += (r[j] - mean[j]) * (r[j] - mean[j]);
        }
      }
      for (int j = 0; j < d; j++) {
        spread[j] = Math.max(Math.sqrt(spread[j] / rows.length), MIN_SPREAD);
      }
      return new Scale(mean, spread);
    }

    int dimension() {
      return mean.length;
    }

    List<RawFeatures.Row> rows(float[][] features) {
      int d = mean.length;
      int[] index = new int[d];
      for (int j = 0; j < d; j++) {
        index[j] = j;
      }
      List<RawFeatures.Row> out = new ArrayList<>(features.length);
      for (float[] r : features) {
        if (r.length != d) {
          throw new IllegalArgumentException("a row of " + r.length + " features; the training rows have " + d);
        }
        float[] value = new float[d];
        for (int j = 0; j < d; j++) {
          value[j] = (float) ((r[j] - mean[j]) / spread[j]);
        }
        out.add(new RawFeatures.Row(index, RawFeatures.normalised(value)));
      }
      return out;
    }
  }
}
