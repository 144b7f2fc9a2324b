package dev.graft.plugins.trainingkit.scoring;

import dev.graft.spi.Example;
import dev.graft.spi.GraftException;
import dev.graft.spi.Hyperparameters;
import dev.graft.spi.ModelInput;
import java.util.List;

/**
 * Per-window scaling of forecasting targets when the inputs are series: each example's target is
 * expressed in units of its own input (channel 0: {@code (y - mean) / scale}, scale = the
 * standard deviation with a small relative floor), and forecasts are turned back with the
 * statistics of the input they were made from. Also holds each window's in-sample lag-1 naive
 * error, the denominator of MASE. Shared by the feature-extraction and the backbone-training
 * strategies. Immutable by convention; thread-safe.
 *
 * @param mean per example, the mean of its input's first channel
 * @param scale per example, its spread
 * @param naiveScale per example, the mean absolute lag-1 difference of the input (0 = undefined)
 */
public record SeriesTargets(float[] mean, float[] scale, float[] naiveScale) {
  /**
   * Option and model property: {@code window} (default; targets scaled per window) or
   * {@code none}.
   */
  public static final String SERIES_SCALING = "series_scaling";
  /** Option: the season of the seasonal-naive baseline (default: detected). */
  public static final String SEASON_LENGTH = "season_length";

  /**
   * Whether forecasting targets on series are scaled per window.
   *
   * @throws GraftException INVALID_ARGUMENT naming {@code hyperparameters.extra[series_scaling]}
   */
  public static boolean enabled(Hyperparameters h) {
    String v = h.extra(SERIES_SCALING, "window").strip();
    if (!v.equals("window") && !v.equals("none")) {
      throw GraftException.invalidArgument("hyperparameters.extra[" + SERIES_SCALING + "]",
          "INVALID_HYPERPARAMETER", SERIES_SCALING + " must be window or none, got '" + v + "'");
    }
    return v.equals("window");
  }

  /**
   * The season length asked for, or 0 to detect it.
   *
   * @throws GraftException INVALID_ARGUMENT naming {@code hyperparameters.extra[season_length]}
   */
  public static int seasonLength(Hyperparameters h) {
    String v = h.extra(SEASON_LENGTH, "").strip();
    if (v.isEmpty()) {
      return 0;
    }
    try {
      int n = Integer.parseInt(v);
      if (n >= 1 && n <= 100_000) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw GraftException.invalidArgument("hyperparameters.extra[" + SEASON_LENGTH + "]",
        "INVALID_HYPERPARAMETER",
        SEASON_LENGTH + " must be a whole number from 1 to 100000, got '" + v + "'");
  }

  /** The statistics of each input, or null when not every input is a series. */
  public static SeriesTargets ofInputs(List<ModelInput> inputs) {
    List<Example> examples = new java.util.ArrayList<>(inputs.size());
    for (ModelInput in : inputs) {
      examples.add(new Example(in, new dev.graft.spi.Target.Value(0f)));
    }
    return of(examples);
  }

  /** The statistics of each example, or null when not every input is a series. */
  public static SeriesTargets of(List<Example> examples) {
    float[] mean = new float[examples.size()];
    float[] scale = new float[examples.size()];
    float[] naive = new float[examples.size()];
    for (int i = 0; i < examples.size(); i++) {
      if (!(examples.get(i).input() instanceof ModelInput.Series s)) {
        return null;
      }
      float[] x = firstChannel(s);
      float[] st = stats(x);
      mean[i] = st[0];
      scale[i] = st[1];
      naive[i] = (float) ForecastBaselines.naiveScale(x);
    }
    return new SeriesTargets(mean, scale, naive);
  }

  /** Channel 0 of a series. */
  public static float[] firstChannel(ModelInput.Series s) {
    int c = Math.max(1, s.channels());
    float[] out = new float[s.values().length / c];
    for (int t = 0; t < out.length; t++) {
      out[t] = s.values()[t * c];
    }
    return out;
  }

  /** {mean, scale} of a window. */
  public static float[] stats(float[] x) {
    double sum = 0;
    double abs = 0;
    for (float v : x) {
      sum += v;
      abs += Math.abs(v);
    }
    int n = Math.max(1, x.length);
    double mean = sum / n;
    double sq = 0;
    for (float v : x) {
      sq += (v - mean) * (v - mean);
    }
    double std = Math.sqrt(sq / n);
    return new float[] {(float) mean, (float) Math.max(std, 1e-3 * abs / n + 1e-6)};
  }

  /** Scales rows of targets ({@code width} per example) in place and returns them. */
  public float[][] scale(float[][] rows) {
    for (int i = 0; i < rows.length; i++) {
      for (int k = 0; k < rows[i].length; k++) {
        rows[i][k] = (rows[i][k] - mean[i]) / scale[i];
      }
    }
    return rows;
  }

  /** Turns row-major scaled forecasts ({@code width} per example) back, in place. */
  public void unscaleInPlace(float[] flat, int width) {
    for (int i = 0; i < flat.length; i++) {
      int row = i / width;
      flat[i] = flat[i] * scale[row] + mean[row];
    }
  }

  /** The mean over windows of MAE / in-sample naive MAE (windows with a zero denominator skipped). */
  public double mase(float[] predicted, float[] truth, int width) {
    double sum = 0;
    int n = 0;
    for (int row = 0; row < naiveScale.length; row++) {
      if (naiveScale[row] <= 0) {
        continue;
      }
      double e = 0;
      for (int k = 0; k < width; k++) {
        e += Math.abs(predicted[row * width + k] - truth[row * width + k]);
      }
      sum += e / width / naiveScale[row];
      n++;
    }
    return n == 0 ? Double.NaN : sum / n;
  }
}
