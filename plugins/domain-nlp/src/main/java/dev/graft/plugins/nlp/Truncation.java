package dev.graft.plugins.nlp;

import java.util.Locale;

/**
 * What to do with an input longer than the model's {@code max_tokens}: cut tokens from the
 * longer segment first (the default), only from the first or second segment of a pair, or
 * refuse the input.
 */
enum Truncation {
  LONGEST_FIRST,
  ONLY_FIRST,
  ONLY_SECOND,
  NONE;

  /** Parses "longest_first", "only_first", "only_second" or "none"; null when unknown. */
  static Truncation parse(String value) {
    try {
      return valueOf(value.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
