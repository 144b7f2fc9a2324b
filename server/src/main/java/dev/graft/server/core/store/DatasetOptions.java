package dev.graft.server.core.store;

import dev.graft.server.core.Echo;
import dev.graft.spi.GraftException;
import java.util.Set;
import java.util.TreeSet;

/** Checks of a dataset spec's options shared by the parsers. Stateless. */
public final class DatasetOptions {
  /** The most options a spec may carry, and the longest value. */
  static final int MAX_OPTIONS = 32;
  static final int MAX_VALUE_CHARS = 1024;

  private DatasetOptions() {}

  /**
   * Refuses options the format does not read, so that a misspelt one is not silently ignored.
   *
   * @throws GraftException INVALID_ARGUMENT {@code INVALID_OPTION} naming {@code spec.options[KEY]}
   *     and listing the known keys
   */
  public static void requireKnown(DatasetSpecRecord spec, Set<String> known) {
    if (spec.options().size() > MAX_OPTIONS) {
      throw GraftException.invalidArgument("spec.options", "INVALID_OPTION",
          "spec.options has " + spec.options().size() + " entries; at most " + MAX_OPTIONS);
    }
    for (var e : spec.options().entrySet()) {
      String key = e.getKey();
      if (!known.contains(key)) {
        throw GraftException.invalidArgument("spec.options[" + Echo.cut(key) + "]", "INVALID_OPTION",
            "unknown option " + Echo.quote(key) + " for " + spec.format() + " datasets; "
                + (known.isEmpty() ? "they take no options" : "known options: " + String.join(", ", new TreeSet<>(known))));
      }
      if (e.getValue().length() > MAX_VALUE_CHARS) {
        throw GraftException.invalidArgument("spec.options[" + key + "]", "INVALID_OPTION",
            "option " + key + " is " + e.getValue().length() + " characters long; at most " + MAX_VALUE_CHARS);
      }
    }
  }
}
