package dev.graft.server.core.store;

import dev.graft.server.core.Echo;
import dev.graft.spi.GraftException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The options of a time-series CSV upload (see {@link SeriesCsvDatasetParser}), read and checked.
 * Immutable.
 */
record SeriesCsvOptions(
    boolean wide,
    List<String> valueColumns,
    String seriesIdColumn,
    String timestampColumn,
    String labelColumn,
    int contextLength,
    int horizon,
    int stride,
    Missing missing) {

  /** How missing cells are filled. */
  enum Missing {
    INTERPOLATE,
    ZERO,
    ERROR
  }

  /** Every option of a series CSV upload. */
  static final Set<String> KEYS = Set.of("layout", "value_columns", "value_column", "series_id_column",
      "timestamp_column", "label_column", "context_length", "horizon", "stride", "missing", "delimiter");

  static SeriesCsvOptions of(DatasetSpecRecord spec) {
    DatasetOptions.requireKnown(spec, KEYS);
    String layout = spec.option("layout", "long").toLowerCase(Locale.ROOT);
    if (!SeriesCsvDatasetParser.LAYOUTS.contains(layout)) {
      throw bad("layout", "layout must be long or wide, got " + Echo.quote(layout));
    }
    List<String> values = new ArrayList<>();
    for (String v : spec.option("value_columns", spec.option("value_column", "value")).split(",")) {
      if (!v.isBlank()) {
        values.add(v.strip());
      }
    }
    if (values.isEmpty() || Set.copyOf(values).size() != values.size()) {
      throw bad("value_columns", "value_columns must name distinct columns");
    }
    int horizon = positive(spec, "horizon", 0);
    int context = positive(spec, "context_length", 4 * horizon);
    int stride = positive(spec, "stride", Math.max(1, horizon));
    if (horizon > 0 && (context < 1 || stride < 1)) {
      throw bad("context_length", "context_length and stride must be at least 1");
    }
    Missing missing;
    try {
      missing = Missing.valueOf(spec.option("missing", "interpolate").toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw bad("missing", "missing must be interpolate, zero or error");
    }
    return new SeriesCsvOptions(layout.equals("wide"), List.copyOf(values),
        spec.option("series_id_column", ""), spec.option("timestamp_column", ""),
        spec.option("label_column", ""), context, horizon, stride, missing);
  }

  private static int positive(DatasetSpecRecord spec, String key, int fallback) {
    String v = spec.option(key, "");
    if (v.isEmpty()) {
      return fallback;
    }
    try {
      int n = Integer.parseInt(v.strip());
      if (n >= 1 && n <= 1_000_000) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw bad(key, key + " must be a whole number from 1 to 1000000, got " + Echo.quote(v));
  }

  private static GraftException bad(String option, String message) {
    return GraftException.invalidArgument("spec.options[" + option + "]", "INVALID_OPTION", message);
  }
}
