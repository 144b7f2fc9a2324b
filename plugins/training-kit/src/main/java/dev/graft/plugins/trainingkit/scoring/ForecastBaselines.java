package dev.graft.plugins.trainingkit.scoring;

import dev.graft.spi.Example;
import dev.graft.spi.MetricValue;
import dev.graft.spi.ModelInput;
import java.util.ArrayList;
import java.util.List;

/**
 * The baselines every forecasting job on series reports beside its model, on the scored split:
 * {@code baseline.naive.*} (the last value), {@code baseline.seasonal_naive.*} (the value one
 * season back; the season from {@code season_length} or detected), {@code baseline.drift.*} (the
 * line through the first and last input values), each with {@code mae}, {@code rmse} and
 * {@code mase} (per-window MAE over the window's in-sample lag-1 naive MAE, averaged), and
 * {@code baseline.season_length}. Stateless and thread-safe.
 */
public final class ForecastBaselines {
  private ForecastBaselines() {}

  /** The baselines' metrics on {@code examples}, targets {@code truth} ({@code width} per row). */
  public static List<MetricValue> metrics(List<Example> examples, float[] truth, int width, int season,
      SeriesTargets stats, String split) {
    int n = examples.size();
    float[] naive = new float[n * width];
    float[] seasonal = new float[n * width];
    float[] drift = new float[n * width];
    for (int i = 0; i < n; i++) {
      float[] x = SeriesTargets.firstChannel((ModelInput.Series) examples.get(i).input());
      int last = x.length - 1;
      float slope = x.length > 1 ? (x[last] - x[0]) / last : 0;
      for (int k = 0; k < width; k++) {
        naive[i * width + k] = x[last];
        seasonal[i * width + k] = season >= 2 && season <= x.length
            ? x[x.length - season + (k % season)] : x[last];
        drift[i * width + k] = x[last] + slope * (k + 1);
      }
    }
    List<MetricValue> out = new ArrayList<>();
    add(out, "naive", naive, truth, width, stats, split);
    add(out, "seasonal_naive", seasonal, truth, width, stats, split);
    add(out, "drift", drift, truth, width, stats, split);
    out.add(new MetricValue("baseline.season_length", season, split, 0));
    return out;
  }

  private static void add(List<MetricValue> out, String name, float[] predicted, float[] truth,
      int width, SeriesTargets stats, String split) {
    out.add(new MetricValue("baseline." + name + ".mae", Scores.mae(predicted, truth), split, 0));
    out.add(new MetricValue("baseline." + name + ".rmse", Scores.rmse(predicted, truth), split, 0));
    out.add(new MetricValue("baseline." + name + ".mase", stats.mase(predicted, truth, width), split, 0));
  }

  /** The mean absolute lag-1 difference (0 for fewer than two points). */
  public static double naiveScale(float[] x) {
    double s = 0;
    for (int i = 1; i < x.length; i++) {
      s += Math.abs(x[i] - x[i - 1]);
    }
    return x.length > 1 ? s / (x.length - 1) : 0;
  }

  /**
   * A season length from the autocorrelation of first differences of the longest input (the lag
   * in 2 … n/2 with the highest ACF, if over 0.3), else 1.
   */
  public static int detectSeason(List<Example> examples) {
    float[] longest = new float[0];
    for (Example e : examples) {
      float[] x = SeriesTargets.firstChannel((ModelInput.Series) e.input());
      if (x.length > longest.length) {
        longest = x;
      }
    }
    int n = longest.length - 1;
    if (n < 4) {
      return 1;
    }
    float[] d = new float[n];
    double mean = 0;
    for (int i = 0; i < n; i++) {
      d[i] = longest[i + 1] - longest[i];
      mean += d[i];
    }
    mean /= n;
    double var = 0;
    for (float v : d) {
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
        c += (d[t] - mean) * (d[t - lag] - mean);
      }
      if (c / var > bestAcf) {
        bestAcf = c / var;
        best = lag;
      }
    }
    return best;
  }
}
