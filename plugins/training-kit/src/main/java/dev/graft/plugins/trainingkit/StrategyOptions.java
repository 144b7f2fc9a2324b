package dev.graft.plugins.trainingkit;

import dev.graft.spi.GraftException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A strategy's view of {@code hyperparameters.extra}: typed readers for the keys the strategy
 * owns, each refusing a bad value with INVALID_ARGUMENT naming {@code hyperparameters.extra[KEY]}
 * and reason INVALID_HYPERPARAMETER; every other key is the backbone's (layer, pooling,
 * max_tokens, …), which it checks when it is opened. Immutable and thread-safe.
 */
public final class StrategyOptions {
  private final Map<String, String> extra;
  private final Set<String> own;

  public StrategyOptions(Map<String, String> extra, Set<String> own) {
    this.extra = Map.copyOf(extra);
    this.own = Set.copyOf(own);
  }

  /** The options for the backbone: every key the strategy does not own. */
  public Map<String, String> backboneOptions() {
    Map<String, String> rest = new LinkedHashMap<>();
    extra.forEach((k, v) -> {
      if (!own.contains(k)) {
        rest.put(k, v);
      }
    });
    return rest;
  }

  /** A raw value, when present and not blank. */
  public Optional<String> text(String key) {
    String v = extra.get(key);
    return v == null || v.isBlank() ? Optional.empty() : Optional.of(v.trim());
  }

  /** A number in {@code [min, max]}, or {@code fallback} when absent. */
  public float number(String key, float fallback, float min, float max) {
    Optional<String> raw = text(key);
    if (raw.isEmpty()) {
      return fallback;
    }
    try {
      float v = Float.parseFloat(raw.get());
      if (v >= min && v <= max) {
        return v;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw invalid(key, key + " must be a number from " + min + " to " + max + ", got '"
        + raw.get() + "'");
  }

  /** An integer in {@code [min, max]}, or {@code fallback} when absent. */
  public int integer(String key, int fallback, int min, int max) {
    Optional<String> raw = text(key);
    if (raw.isEmpty()) {
      return fallback;
    }
    try {
      int v = Integer.parseInt(raw.get());
      if (v >= min && v <= max) {
        return v;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw invalid(key, key + " must be an integer from " + min + " to " + max + ", got '"
        + raw.get() + "'");
  }

  /** true/false (also yes/no, 1/0), or {@code fallback} when absent. */
  public boolean flag(String key, boolean fallback) {
    Optional<String> raw = text(key);
    if (raw.isEmpty()) {
      return fallback;
    }
    return switch (raw.get().toLowerCase(Locale.ROOT)) {
      case "true", "yes", "1" -> true;
      case "false", "no", "0" -> false;
      default -> throw invalid(key, key + " must be true or false, got '" + raw.get() + "'");
    };
  }

  /** One of {@code choices} (lower case), or {@code fallback} when absent. */
  public String choice(String key, String fallback, Set<String> choices) {
    Optional<String> raw = text(key);
    if (raw.isEmpty()) {
      return fallback;
    }
    String v = raw.get().toLowerCase(Locale.ROOT);
    if (!choices.contains(v)) {
      throw invalid(key, key + " must be one of " + choices + ", got '" + raw.get() + "'");
    }
    return v;
  }

  /** The INVALID_ARGUMENT a strategy throws for a bad value of {@code key}. */
  public static GraftException invalid(String key, String message) {
    return GraftException.invalidArgument(
        "hyperparameters.extra[" + key + "]", "INVALID_HYPERPARAMETER", message);
  }
}
