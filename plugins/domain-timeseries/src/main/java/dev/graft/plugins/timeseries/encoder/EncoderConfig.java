package dev.graft.plugins.timeseries.encoder;

import dev.graft.spi.GraftException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The shape of a patch-Transformer series encoder. Immutable.
 *
 * @param context the number of points the encoder reads (the last {@code context} of a series)
 * @param patch the points per patch (a token); {@code context} is a multiple of it
 * @param width the token width
 * @param layers the number of Transformer layers
 * @param heads attention heads per layer
 * @param hidden the feed-forward width
 */
public record EncoderConfig(int context, int patch, int width, int layers, int heads, int hidden) {

  /** The configuration of the built-in {@code ts-encoder}. */
  public static final EncoderConfig TS_ENCODER = new EncoderConfig(64, 8, 64, 4, 4, 128);

  public EncoderConfig {
    if (patch < 1 || context < patch || context % patch != 0 || width % heads != 0 || layers < 1) {
      throw GraftException.failedPrecondition("BAD_MODEL_CONFIG",
          "encoder config context=" + context + " patch=" + patch + " width=" + width + " heads="
              + heads + " layers=" + layers + " is not consistent");
    }
  }

  /** The number of patches (tokens). */
  public int patches() {
    return context / patch;
  }

  /** The feature width: mean-pooled tokens and the last token, side by side. */
  public int dimension() {
    return 2 * width;
  }

  /** As manifest properties. */
  public Map<String, String> asProperties() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("context_length", Integer.toString(context));
    m.put("patch_length", Integer.toString(patch));
    m.put("width", Integer.toString(width));
    m.put("layers", Integer.toString(layers));
    m.put("heads", Integer.toString(heads));
    m.put("hidden", Integer.toString(hidden));
    return m;
  }

  /** Reads a configuration from manifest properties (missing keys take the ts-encoder's). */
  public static EncoderConfig fromProperties(Map<String, String> p) {
    EncoderConfig d = TS_ENCODER;
    return new EncoderConfig(
        read(p, "context_length", d.context), read(p, "patch_length", d.patch),
        read(p, "width", d.width), read(p, "layers", d.layers), read(p, "heads", d.heads),
        read(p, "hidden", d.hidden));
  }

  private static int read(Map<String, String> p, String key, int fallback) {
    String v = p.get(key);
    if (v == null || v.isBlank()) {
      return fallback;
    }
    try {
      return Integer.parseInt(v.strip());
    } catch (NumberFormatException e) {
      throw GraftException.failedPrecondition("BAD_MODEL_CONFIG",
          "model property " + key + " is not a whole number: '" + v + "'");
    }
  }
}
