package dev.graft.plugins.nlp;

import dev.graft.spi.GraftException;
import dev.graft.spi.Pooling;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The options of a trainable text encoder, read from {@code hyperparameters.extra} (or a stored
 * model's properties): {@code layer} ("encoder.N"; default the last), {@code pooling} (mean, cls,
 * max; default the model's), {@code max_tokens} (2 … the model's limit; default the model's) and
 * {@code truncation} (longest_first, only_first, only_second, none; default the model's).
 * Immutable.
 *
 * @param layer the index of the encoder layer whose states are pooled
 */
record TextOptions(int layer, Pooling pooling, int maxTokens, Truncation truncation) {

  static final String LAYER = "layer";
  static final String POOLING = "pooling";
  static final String MAX_TOKENS = "max_tokens";
  static final String TRUNCATION = "truncation";
  static final Set<String> KEYS = Set.of(LAYER, POOLING, MAX_TOKENS, TRUNCATION);

  /**
   * Reads {@code options} for an encoder of {@code layers} layers whose own limit is
   * {@code settings.maxTokens()} (the position table caps it further at {@code positions}).
   *
   * @throws GraftException INVALID_ARGUMENT naming {@code hyperparameters.extra[KEY]}
   */
  static TextOptions parse(
      Map<String, String> options, EncoderLayers layers, EncoderSettings settings, int positions) {
    for (String key : options.keySet()) {
      if (!KEYS.contains(key)) {
        throw invalid(key, "UNKNOWN_OPTION", "unknown option '" + key + "'; the text domain reads "
            + new TreeSet<>(KEYS));
      }
    }
    int layer = layers.count() - 1;
    String rawLayer = options.getOrDefault(LAYER, "").trim();
    if (!rawLayer.isEmpty()) {
      layer = layers.index(rawLayer);
      if (layer < 0) {
        throw invalid(LAYER, "UNKNOWN_LAYER", "unknown layer '" + rawLayer + "'; the encoder has "
            + layers.names());
      }
    }
    Pooling pooling = settings.pooling();
    String rawPooling = options.getOrDefault(POOLING, "").trim();
    if (!rawPooling.isEmpty() && !rawPooling.equalsIgnoreCase("default")) {
      try {
        pooling = Pooling.valueOf(rawPooling.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw invalid(POOLING, "INVALID_HYPERPARAMETER",
            "pooling must be mean, cls or max, got '" + rawPooling + "'");
      }
    }
    int limit = Math.min(settings.maxTokens(), positions);
    int maxTokens = limit;
    String rawMax = options.getOrDefault(MAX_TOKENS, "").trim();
    if (!rawMax.isEmpty()) {
      try {
        maxTokens = Integer.parseInt(rawMax);
      } catch (NumberFormatException e) {
        maxTokens = -1;
      }
      if (maxTokens < 2 || maxTokens > limit) {
        throw invalid(MAX_TOKENS, "INVALID_HYPERPARAMETER",
            "max_tokens must be an integer from 2 to " + limit + ", got '" + rawMax + "'");
      }
    }
    Truncation truncation = settings.truncation();
    String rawTruncation = options.getOrDefault(TRUNCATION, "").trim();
    if (!rawTruncation.isEmpty()) {
      truncation = Truncation.parse(rawTruncation);
      if (truncation == null) {
        throw invalid(TRUNCATION, "INVALID_HYPERPARAMETER", "truncation must be longest_first,"
            + " only_first, only_second or none, got '" + rawTruncation + "'");
      }
    }
    return new TextOptions(layer, pooling, maxTokens, truncation);
  }

  /** These options with every default made explicit, as stored with a trained model. */
  Map<String, String> asMap() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put(LAYER, EncoderLayers.name(layer));
    m.put(POOLING, pooling.name().toLowerCase(Locale.ROOT));
    m.put(MAX_TOKENS, Integer.toString(maxTokens));
    m.put(TRUNCATION, truncation.label());
    return m;
  }

  private static GraftException invalid(String key, String reason, String message) {
    return GraftException.invalidArgument("hyperparameters.extra[" + key + "]", reason, message);
  }
}
