package dev.graft.plugins.timeseries.encoder;

/**
 * Per-window scaling: a channel's last {@code context} points are standardised with their own
 * mean and spread ({@code z = (x - mean) / scale}); the same statistics turn scaled forecasts back
 * into the series' units. A series shorter than the context is padded on the left with its first
 * value. Stateless and thread-safe.
 *
 * <p>Why standardisation and not mean-absolute scaling: a series with a high level and a small
 * swing (CO2 at 315–420 ppm) becomes nearly constant under mean-absolute scaling, hiding its
 * shape from the encoder; centring first keeps it.
 */
public final class WindowScaler {
  /** Relative floor of the scale, so that a flat window does not blow up. */
  static final double FLOOR = 1e-3;

  private WindowScaler() {}

  /** A window's mean and scale. */
  public record Stats(float mean, float scale) {
    /** Undoes the scaling of a value. */
    public float unscale(float z) {
      return z * scale + mean;
    }

    /** Scales a value. */
    public float scale(float x) {
      return (x - mean) / scale;
    }
  }

  /**
   * Channel {@code channel} of an interleaved series ({@code channels} per step), its last
   * {@code context} points, padded on the left.
   */
  public static float[] lastWindow(float[] values, int channels, int channel, int context) {
    int steps = values.length / channels;
    float[] out = new float[context];
    int take = Math.min(steps, context);
    int pad = context - take;
    for (int i = 0; i < take; i++) {
      out[pad + i] = values[(steps - take + i) * channels + channel];
    }
    for (int i = 0; i < pad; i++) {
      out[i] = out[pad];
    }
    return out;
  }

  /** The statistics of a window (only its last {@code context} points count). */
  public static Stats stats(float[] window) {
    double sum = 0;
    for (float v : window) {
      sum += v;
    }
    double mean = sum / window.length;
    double sq = 0;
    double abs = 0;
    for (float v : window) {
      sq += (v - mean) * (v - mean);
      abs += Math.abs(v);
    }
    double std = Math.sqrt(sq / window.length);
    double floor = FLOOR * (abs / window.length) + 1e-6;
    return new Stats((float) mean, (float) Math.max(std, floor));
  }

  /** Scales {@code window} in place with {@code stats} and returns it. */
  public static float[] apply(float[] window, Stats stats) {
    for (int i = 0; i < window.length; i++) {
      window[i] = stats.scale(window[i]);
    }
    return window;
  }
}
