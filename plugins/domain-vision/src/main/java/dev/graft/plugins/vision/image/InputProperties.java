package dev.graft.plugins.vision.image;

import dev.graft.spi.BaseModel;
import java.util.Arrays;

/**
 * Reads a base model's input properties into an {@link InputSpec}: {@code input_size} (side of
 * the square input), {@code input_crop} (default 1), {@code input_scale} (default 1/255),
 * {@code input_mean} and {@code input_std} (comma-separated, one per channel; defaults 0 and 1).
 * Stateless.
 */
public final class InputProperties {
  private InputProperties() {}

  /**
   * The spec of {@code base} with {@code channels} channels and {@code defaultSize} when the
   * model does not say {@code input_size}; the other defaults are those listed above.
   *
   * @throws IllegalArgumentException for a malformed or out-of-range property
   */
  public static InputSpec spec(BaseModel base, int defaultSize, int channels) {
    float[] zeros = new float[channels];
    float[] ones = new float[channels];
    Arrays.fill(ones, 1f);
    return spec(base, new InputSpec(defaultSize, channels, 1, 1f / 255, zeros, ones));
  }

  /**
   * The spec of {@code base}: each property it sets, else the value in {@code defaults} (for a
   * network whose preprocessing differs from the usual, e.g. (x − 127) / 128).
   *
   * @throws IllegalArgumentException for a malformed or out-of-range property
   */
  public static InputSpec spec(BaseModel base, InputSpec defaults) {
    int channels = defaults.channels();
    return new InputSpec(
        Integer.parseInt(base.property("input_size", Integer.toString(defaults.height())).trim()),
        channels,
        Double.parseDouble(base.property("input_crop", Double.toString(defaults.crop())).trim()),
        Float.parseFloat(base.property("input_scale", Float.toString(defaults.scale())).trim()),
        floats(base.property("input_mean", ""), defaults.mean()),
        floats(base.property("input_std", ""), defaults.std()));
  }

  private static float[] floats(String csv, float[] fallback) {
    return csv.isBlank() ? fallback : floats(csv, fallback.length, 0f);
  }

  /**
   * {@code n} comma-separated floats, or {@code n} times {@code fallback} when {@code csv} is
   * blank.
   *
   * @throws IllegalArgumentException when the count is not {@code n} or a value is no number
   */
  public static float[] floats(String csv, int n, float fallback) {
    float[] v = new float[n];
    if (csv.isBlank()) {
      Arrays.fill(v, fallback);
      return v;
    }
    String[] parts = csv.split(",");
    if (parts.length != n) {
      throw new IllegalArgumentException("'" + csv + "' needs " + n + " values");
    }
    for (int i = 0; i < n; i++) {
      v[i] = Float.parseFloat(parts[i].trim());
    }
    return v;
  }
}
