package dev.graft.server.core;

/**
 * Client input quoted in error messages, cut so that a request cannot make its own error message
 * large: at most {@value #MAX_CHARS} characters of the input are shown, followed by "…" and the
 * input's full length. Stateless.
 */
public final class Echo {
  /** The most characters of one input that a message shows. */
  public static final int MAX_CHARS = 200;

  private Echo() {}

  /** {@code 'text'}, or {@code 'first 200 characters…' (N characters)} for longer text; "null" for null. */
  public static String quote(String text) {
    if (text == null) {
      return "null";
    }
    if (text.length() <= MAX_CHARS) {
      return "'" + text + "'";
    }
    return "'" + cutAt(text) + "…' (" + text.length() + " characters)";
  }

  /** The text itself when short, else its first {@value #MAX_CHARS} characters, "…" and the length. */
  public static String cut(String text) {
    if (text == null) {
      return "null";
    }
    return text.length() <= MAX_CHARS ? text : cutAt(text) + "… (" + text.length() + " characters)";
  }

  /** {@link #cut} of {@code String.valueOf(value)}: for collections and JSON values. */
  public static String cut(Object value) {
    return cut(String.valueOf(value));
  }

  private static String cutAt(String text) {
    int end = MAX_CHARS;
    if (Character.isHighSurrogate(text.charAt(end - 1))) {
      end--; // do not split a surrogate pair
    }
    return text.substring(0, end);
  }
}
