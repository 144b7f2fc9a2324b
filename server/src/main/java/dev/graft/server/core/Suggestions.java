package dev.graft.server.core;

import java.util.Collection;
import java.util.Locale;
import java.util.Optional;

/**
 * "Did you mean …?" for names a client got wrong: the known name closest to the one asked for,
 * by edit distance (insertions, deletions, substitutions), if it is close enough to be a typo — at
 * most 2 edits, and fewer than a third of the name's length. Stateless.
 */
public final class Suggestions {
  /** Names longer than this are not compared (a hostile name must not cost quadratic time). */
  static final int MAX_LENGTH = 64;

  private Suggestions() {}

  /** The closest of {@code known} to {@code wanted}, if it is a plausible typo of it. */
  public static Optional<String> nearest(String wanted, Collection<String> known) {
    if (wanted == null || wanted.isEmpty() || wanted.length() > MAX_LENGTH) {
      return Optional.empty();
    }
    String w = wanted.toLowerCase(Locale.ROOT);
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String name : known) {
      if (name.length() > MAX_LENGTH || name.equals(wanted)) {
        continue;
      }
      int d = distance(w, name.toLowerCase(Locale.ROOT));
      if (d < bestDistance || (d == bestDistance && best != null && name.compareTo(best) < 0)) {
        best = name;
        bestDistance = d;
      }
    }
    return best != null && bestDistance <= 2 && bestDistance * 3 < Math.max(wanted.length(), 3)
        ? Optional.of(best) : Optional.empty();
  }

  /** {@code message}, plus "; did you mean 'x'?" when one of {@code known} is close to {@code wanted}. */
  public static String withSuggestion(String message, String wanted, Collection<String> known) {
    return nearest(wanted, known).map(s -> message + "; did you mean " + Echo.quote(s) + "?").orElse(message);
  }

  static int distance(String a, String b) {
    int[] previous = new int[b.length() + 1];
    int[] current = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      previous[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      current[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int substitute = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        current[j] = Math.min(substitute, Math.min(previous[j] + 1, current[j - 1] + 1));
      }
      int[] t = previous;
      previous = current;
      current = t;
    }
    return previous[b.length()];
  }
}
