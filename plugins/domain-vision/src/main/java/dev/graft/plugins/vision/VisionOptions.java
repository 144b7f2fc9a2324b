package dev.graft.plugins.vision;

import dev.graft.spi.GraftException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A trainable vision backbone's options, from {@code hyperparameters.extra} or a stored model's
 * properties: {@code layer} (feature layer, "" = default), {@code pooling} (mean | max),
 * {@code image_size} (side of the square input, 16..512; default the base model's),
 * {@code augment} (true | false: random resized crop, flip and ±10° rotation of training
 * batches), {@code init} (pretrained | random: the same architecture with fresh weights, the
 * from-scratch baseline), {@code seed} (for random init and augmentation) and
 * {@code batchnorm} (frozen | train: whether batch norms use batch statistics while training;
 * default frozen for pretrained weights, train for random ones). Immutable.
 *
 * @param layer the feature layer
 * @param poolMax whether features are max-pooled over space (else mean)
 * @param imageSize the side of the square input
 * @param augment whether training batches are augmented
 * @param random whether parameters start fresh ({@code init=random})
 * @param seed the seed of random init and augmentation
 * @param trainBatchNorm whether batch norms use batch statistics while training
 */
public record VisionOptions(String layer, boolean poolMax, int imageSize, boolean augment,
    boolean random, long seed, boolean trainBatchNorm) {

  static final Set<String> KEYS =
      Set.of("layer", "pooling", "image_size", "augment", "init", "seed", "batchnorm");

  /**
   * Resolves {@code options} for network {@code name} with feature {@code layers} (the default
   * first) and input side {@code defaultSize}.
   *
   * @throws GraftException INVALID_ARGUMENT naming {@code hyperparameters.extra[KEY]}
   */
  public static VisionOptions parse(Map<String, String> options, String name,
      java.util.List<String> layers, int defaultSize) {
    for (String key : options.keySet()) {
      if (!KEYS.contains(key)) {
        throw bad(key, "UNKNOWN_OPTION", "unknown option '" + key + "' for a vision backbone; "
            + "known: " + KEYS);
      }
    }
    String layer = options.getOrDefault("layer", "");
    if (layer.isEmpty()) {
      layer = layers.get(0);
    } else if (!layers.contains(layer)) {
      throw bad("layer", "UNKNOWN_LAYER", "layer '" + layer + "' is not a feature layer of "
          + name);
    }
    String pooling = options.getOrDefault("pooling", "mean").toLowerCase(java.util.Locale.ROOT);
    if (!pooling.equals("mean") && !pooling.equals("max") && !pooling.equals("default")) {
      throw bad("pooling", "UNSUPPORTED_POOLING", "pooling must be mean or max, got '"
          + pooling + "'");
    }
    int imageSize = integer(options, "image_size", defaultSize, 16, 512);
    boolean augment = bool(options, "augment", false);
    String init = options.getOrDefault("init", "pretrained");
    if (!init.equals("pretrained") && !init.equals("random")) {
      throw bad("init", "BAD_OPTION", "init must be pretrained or random, got '" + init + "'");
    }
    boolean random = init.equals("random");
    long seed = integer(options, "seed", 42, 0, Integer.MAX_VALUE);
    String bn = options.getOrDefault("batchnorm", random ? "train" : "frozen");
    if (!bn.equals("frozen") && !bn.equals("train")) {
      throw bad("batchnorm", "BAD_OPTION", "batchnorm must be frozen or train, got '" + bn + "'");
    }
    return new VisionOptions(layer, pooling.equals("max"), imageSize, augment, random, seed,
        bn.equals("train"));
  }

  /** The options to store with a trained model (augmentation is for training only). */
  public Map<String, String> asMap() {
    Map<String, String> map = new LinkedHashMap<>();
    map.put("layer", layer);
    map.put("pooling", poolMax ? "max" : "mean");
    map.put("image_size", Integer.toString(imageSize));
    map.put("init", random ? "random" : "pretrained");
    map.put("seed", Long.toString(seed));
    map.put("batchnorm", trainBatchNorm ? "train" : "frozen");
    return map;
  }

  private static int integer(Map<String, String> options, String key, int fallback, int min,
      int max) {
    String v = options.get(key);
    if (v == null || v.isBlank()) {
      return fallback;
    }
    try {
      int n = Integer.parseInt(v.trim());
      if (n < min || n > max) {
        throw bad(key, "BAD_OPTION", key + " must be in " + min + ".." + max + ", got " + n);
      }
      return n;
    } catch (NumberFormatException e) {
      throw bad(key, "BAD_OPTION", key + " must be an integer, got '" + v + "'");
    }
  }

  private static boolean bool(Map<String, String> options, String key, boolean fallback) {
    String v = options.get(key);
    if (v == null || v.isBlank()) {
      return fallback;
    }
    if (v.equalsIgnoreCase("true") || v.equalsIgnoreCase("false")) {
      return Boolean.parseBoolean(v);
    }
    throw bad(key, "BAD_OPTION", key + " must be true or false, got '" + v + "'");
  }

  private static GraftException bad(String key, String reason, String message) {
    return GraftException.invalidArgument("hyperparameters.extra[" + key + "]", reason, message);
  }
}
