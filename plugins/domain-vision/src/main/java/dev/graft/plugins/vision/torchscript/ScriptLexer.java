package dev.graft.plugins.vision.torchscript;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Splits the serialized TorchScript source of one code file into tokens, the way TorchScript's
 * own lexer finds where names, strings and comments begin and end. Strings are lexed exactly as
 * TorchScript does (single or triple quotes, a backslash skips the next character), so that no
 * code can hide in what this lexer takes for a string or a comment. It is stricter than
 * TorchScript elsewhere: tabs, carriage returns, other control characters, non-ASCII characters
 * outside strings and comments, backslashes outside strings and unknown punctuation are refused.
 *
 * <p>Stateless; thread-safe.
 */
final class ScriptLexer {
  /** What a token is. */
  enum Kind { NAME, NUMBER, STRING, OP, NEWLINE }

  /**
   * One token.
   *
   * @param kind what it is
   * @param text its text (a string's text includes its quotes)
   * @param line the 1-based line it starts on
   * @param indent the indentation of the logical line it belongs to
   * @param depth how many brackets are open before it
   */
  record Token(Kind kind, String text, int line, int indent, int depth) {
    boolean is(String s) {
      return kind != Kind.STRING && text.equals(s);
    }
  }

  /** Punctuation TorchScript writes; longest first so that {@code **=} wins over {@code **}. */
  private static final List<String> OPERATORS = List.of("**=", "//=", ">>=", "<<=", "->", "**",
      "//", "<<", ">>", "<=", ">=", "==", "!=", "+=", "-=", "*=", "/=", "%=", "@=", "&=", "|=",
      "^=", "(", ")", "[", "]", "{", "}", ",", ":", ".", "=", "+", "-", "*", "/", "%", "@", "&",
      "|", "^", "~", "<", ">");
  private static final Set<Character> OPEN = Set.of('(', '[', '{');
  private static final Set<Character> CLOSE = Set.of(')', ']', '}');

  private ScriptLexer() {}

  /**
   * The tokens of {@code source}; a NEWLINE token ends every logical line (one whose brackets
   * are all closed).
   *
   * @throws Refusal when the source holds something this lexer does not accept
   */
  static List<Token> tokens(String source, String file) {
    for (int i = 0; i < source.length(); i++) {
      char c = source.charAt(i);
      if (c != '\n' && (c < 0x20 || c == 0x7f)) {
        throw Refusal.unsafe(file, 1 + count(source.substring(0, i), '\n'),
            "holds " + describe(c) + " (tabs and control characters are not accepted)");
      }
    }
    List<Token> out = new ArrayList<>();
    int pos = 0;
    int line = 1;
    int depth = 0;
    int indent = -1; // the current logical line's indentation; -1 before its first token
    int column = 0;
    while (pos < source.length()) {
      char c = source.charAt(pos);
      if (c == '\n') {
        if (depth == 0 && indent >= 0) {
          out.add(new Token(Kind.NEWLINE, "\n", line, indent, 0));
          indent = -1;
        }
        line++;
        pos++;
        column = 0;
        continue;
      }
      if (c == ' ') {
        pos++;
        column++;
        continue;
      }
      if (c == '#') {
        while (pos < source.length() && source.charAt(pos) != '\n') {
          pos++;
        }
        continue;
      }
      if (indent < 0) {
        indent = column;
      }
      int start = pos;
      int before = depth;
      Kind kind;
      if (c == '"' || c == '\'') {
        pos = stringEnd(source, pos, file, line);
        kind = Kind.STRING;
      } else if (isNameStart(c)) {
        while (pos < source.length() && isNamePart(source.charAt(pos))) {
          pos++;
        }
        kind = Kind.NAME;
      } else if (isDigit(c) || (c == '.' && pos + 1 < source.length()
          && isDigit(source.charAt(pos + 1)))) {
        pos = numberEnd(source, pos);
        kind = Kind.NUMBER;
      } else {
        String op = operatorAt(source, pos);
        if (op == null) {
          throw Refusal.unsafe(file, line, "holds " + describe(c) + " where code is expected");
        }
        if (op.length() == 1 && OPEN.contains(op.charAt(0))) {
          depth++;
        } else if (op.length() == 1 && CLOSE.contains(op.charAt(0))) {
          if (depth == 0) {
            throw Refusal.unsafe(file, line, "closes a bracket it never opened");
          }
          depth--;
        }
        pos += op.length();
        kind = Kind.OP;
      }
      String text = source.substring(start, pos);
      // a bracket counts as outside itself: '(' and its ')' have the depth around them
      out.add(new Token(kind, text, line, indent, Math.min(before, depth)));
      line += count(text, '\n');
      column += text.length();
    }
    if (depth != 0) {
      throw Refusal.unsafe(file, line, "ends inside an open bracket");
    }
    if (indent >= 0) {
      out.add(new Token(Kind.NEWLINE, "\n", line, indent, 0));
    }
    return out;
  }

  /** Where the string starting at {@code start} ends (one past its closing quote). */
  private static int stringEnd(String s, int start, String file, int line) {
    char quote = s.charAt(start);
    boolean triple = s.startsWith(String.valueOf(quote).repeat(3), start);
    int quoteLength = triple ? 3 : 1;
    int end = start + quoteLength;
    while (end < s.length() && !closes(s, end, quote, triple)) {
      if (s.charAt(end) == '\\') {
        end++;
      }
      end++;
    }
    if (end >= s.length()) {
      throw Refusal.unsafe(file, line, "has a string that never ends");
    }
    return end + quoteLength;
  }

  private static boolean closes(String s, int at, char quote, boolean triple) {
    return triple ? s.startsWith(String.valueOf(quote).repeat(3), at) : s.charAt(at) == quote;
  }

  /** Digits, an optional fraction, an optional exponent and an optional {@code j}. */
  private static int numberEnd(String s, int pos) {
    pos = digits(s, pos);
    if (pos < s.length() && s.charAt(pos) == '.') {
      pos = digits(s, pos + 1);
    }
    if (pos < s.length() && (s.charAt(pos) == 'e' || s.charAt(pos) == 'E')) {
      int p = pos + 1;
      if (p < s.length() && (s.charAt(p) == '+' || s.charAt(p) == '-')) {
        p++;
      }
      if (p < s.length() && isDigit(s.charAt(p))) {
        pos = digits(s, p);
      }
    }
    if (pos < s.length() && s.charAt(pos) == 'j') {
      pos++;
    }
    return pos;
  }

  private static int digits(String s, int pos) {
    while (pos < s.length() && isDigit(s.charAt(pos))) {
      pos++;
    }
    return pos;
  }

  private static String operatorAt(String s, int pos) {
    for (String op : OPERATORS) {
      if (s.startsWith(op, pos)) {
        return op;
      }
    }
    return null;
  }

  private static boolean isNameStart(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  }

  private static boolean isNamePart(char c) {
    return isNameStart(c) || isDigit(c);
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  private static int count(String s, char c) {
    int n = 0;
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) == c) {
        n++;
      }
    }
    return n;
  }

  private static String describe(char c) {
    return c >= 0x21 && c < 0x7f ? "'" + c + "'" : String.format("the character U+%04X", (int) c);
  }
}
