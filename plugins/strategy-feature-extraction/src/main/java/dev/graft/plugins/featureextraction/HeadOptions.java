package dev.graft.plugins.featureextraction;

import dev.graft.plugins.trainingkit.NonFiniteGuard;
import dev.graft.plugins.trainingkit.scoring.SeriesTargets;
import dev.graft.spi.FeatureRequest;
import dev.graft.spi.GraftException;
import dev.graft.spi.Hyperparameters;
import dev.graft.spi.Pooling;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The strategy-specific options read from {@link Hyperparameters#extra()}: the head's shape and
 * which features it reads. Immutable and thread-safe.
 *
 * @param hidden width of the hidden ReLU layer; 0 = a linear head; {@link #AUTO} = train a linear
 *     and a {@link #AUTO_HIDDEN}-wide head and keep the one with the lower validation loss
 * @param dropout dropout rate on the hidden activations (or, for a linear head asked for
 *     explicitly, on its inputs); {@link #DEFAULT} = {@link #DEFAULT_DROPOUT} after a hidden layer,
 *     none for a linear head
 * @param pooling the pooling asked for ({@link Pooling#DEFAULT} = the backbone's)
 * @param normalize whether the backbone L2-normalises each feature vector
 * @param layer the feature layer ("" = the backbone's default)
 */
public record HeadOptions(
    int hidden, float dropout, Pooling pooling, boolean normalize, String layer) {

  /** {@code hidden} when absent or "auto": choose between a linear and an MLP head. */
  public static final int AUTO = -1;
  /** The hidden width of the MLP candidate in auto mode. */
  public static final int AUTO_HIDDEN = 256;
  /** {@code dropout} when absent. */
  public static final float DEFAULT = -1f;
  /** The dropout after a hidden layer when none is given. */
  public static final float DEFAULT_DROPOUT = 0.5f;
  /** The widest hidden layer accepted. */
  public static final int MAX_HIDDEN = 8192;
  /** The highest dropout rate accepted. */
  public static final float MAX_DROPOUT = 0.9f;

  static final String HIDDEN = "hidden";
  static final String DROPOUT = "dropout";
  static final String POOLING = "pooling";
  static final String NORMALIZE = "normalize";
  static final String LAYER = "layer";
  static final Set<String> KNOWN_KEYS = Set.of(HIDDEN, DROPOUT, POOLING, NORMALIZE, LAYER,
      SeriesTargets.SERIES_SCALING, SeriesTargets.SEASON_LENGTH, NonFiniteGuard.MAX_STEPS_KEY);

  public HeadOptions {
    layer = layer == null ? "" : layer;
    pooling = pooling == null ? Pooling.DEFAULT : pooling;
  }

  /**
   * Reads and checks the options in {@code hyperparameters.extra()}.
   *
   * @throws GraftException INVALID_ARGUMENT naming {@code hyperparameters.extra[KEY]}, reason
   *     INVALID_HYPERPARAMETER, for an unknown key or a bad value
   */
  public static HeadOptions parse(Hyperparameters hyperparameters) {
    Map<String, String> extra = hyperparameters.extra();
    for (String key : extra.keySet()) {
      if (!KNOWN_KEYS.contains(key)) {
        throw invalid(
            key,
            "unknown option '" + key + "' for strategy feature-extraction; known options: "
                + new TreeSet<>(KNOWN_KEYS));
      }
    }
    int hidden = parseHidden(extra.get(HIDDEN));
    float dropout = parseDropout(extra.get(DROPOUT));
    Pooling pooling = parsePooling(extra.get(POOLING));
    boolean normalize = parseNormalize(extra.get(NORMALIZE));
    String layer = extra.getOrDefault(LAYER, "").trim();
    return new HeadOptions(hidden, dropout, pooling, normalize, layer);
  }

  /** The feature request these options describe, before the backbone resolves its defaults. */
  public FeatureRequest featureRequest() {
    return new FeatureRequest(layer, pooling, normalize);
  }

  /**
   * The heads to train, best first when there is nothing to choose by: the one asked for, or in
   * auto mode a linear head and (when a validation set can decide) an MLP head.
   */
  public List<HeadArchitecture> candidates(int inputs, int outputs, boolean canValidate) {
    float mlpDropout = dropout == DEFAULT ? DEFAULT_DROPOUT : dropout;
    if (hidden == AUTO) {
      HeadArchitecture linear = new HeadArchitecture(inputs, 0, 0f, outputs);
      return canValidate
          ? List.of(linear, new HeadArchitecture(inputs, AUTO_HIDDEN, mlpDropout, outputs))
          : List.of(linear);
    }
    if (hidden == 0) {
      return List.of(new HeadArchitecture(inputs, 0, dropout == DEFAULT ? 0f : dropout, outputs));
    }
    return List.of(new HeadArchitecture(inputs, hidden, mlpDropout, outputs));
  }

  private static int parseHidden(String value) {
    if (value == null || value.trim().equalsIgnoreCase("auto")) {
      return AUTO;
    }
    try {
      int hidden = Integer.parseInt(value.trim());
      if (hidden >= 0 && hidden <= MAX_HIDDEN) {
        return hidden;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw invalid(
        HIDDEN,
        "hidden must be auto or an integer from 0 (linear head) to " + MAX_HIDDEN + ", got '"
            + value + "'");
  }

  private static float parseDropout(String value) {
    if (value == null) {
      return DEFAULT;
    }
    try {
      float dropout = Float.parseFloat(value.trim());
      if (dropout >= 0f && dropout <= MAX_DROPOUT) {
        return dropout;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw invalid(
        DROPOUT, "dropout must be a number from 0 to " + MAX_DROPOUT + ", got '" + value + "'");
  }

  private static Pooling parsePooling(String value) {
    if (value == null) {
      return Pooling.DEFAULT;
    }
    return switch (value.trim().toLowerCase(Locale.ROOT)) {
      case "mean" -> Pooling.MEAN;
      case "cls" -> Pooling.CLS;
      case "max" -> Pooling.MAX;
      case "default" -> Pooling.DEFAULT;
      default -> throw invalid(
          POOLING, "pooling must be one of mean, cls, max, default; got '" + value + "'");
    };
  }

  private static boolean parseNormalize(String value) {
    if (value == null) {
      return true;
    }
    String v = value.trim().toLowerCase(Locale.ROOT);
    if (v.equals("true") || v.equals("false")) {
      return Boolean.parseBoolean(v);
    }
    throw invalid(NORMALIZE, "normalize must be true or false, got '" + value + "'");
  }

  private static GraftException invalid(String key, String message) {
    return GraftException.invalidArgument(
        "hyperparameters.extra[" + key + "]", "INVALID_HYPERPARAMETER", message);
  }
}
