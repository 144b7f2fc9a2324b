package dev.graft.plugins.vision.torchscript;

import dev.graft.plugins.vision.torchscript.ScriptLexer.Kind;
import dev.graft.plugins.vision.torchscript.ScriptLexer.Token;

/** Reads the text of TorchScript string literals. Stateless. */
final class ScriptStrings {
  private ScriptStrings() {}

  /**
   * The text between the quotes of a string token, or null when it is no string or holds a
   * backslash (an escape the audit would have to decode as TorchScript does; it refuses
   * instead).
   */
  static String plain(Token t) {
    if (t.kind() != Kind.STRING) {
      return null;
    }
    String s = t.text();
    int quotes = s.length() >= 6 && s.charAt(0) == s.charAt(1) && s.charAt(1) == s.charAt(2)
        ? 3 : 1;
    String inner = s.substring(quotes, s.length() - quotes);
    return inner.indexOf('\\') >= 0 ? null : inner;
  }
}
