package dev.graft.plugins.vision.torchscript;

import dev.graft.plugins.vision.torchscript.ScriptLexer.Kind;
import dev.graft.plugins.vision.torchscript.ScriptLexer.Token;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One code file of a TorchScript archive: its entry name, the qualified name PyTorch gives what
 * it defines ({@code <root>/code/__torch__/torch/nn/modules/conv.py} defines
 * {@code __torch__.torch.nn.modules.conv.*}) and its logical lines of tokens.
 *
 * <p>Immutable.
 *
 * @param file the entry name inside the archive
 * @param qualifier the dotted prefix of everything the file defines
 * @param lines the logical lines, each without its NEWLINE token
 */
record ScriptSource(String file, String qualifier, List<List<Token>> lines) {
  private static final String CODE = "/code/";

  /**
   * Lexes the code entry {@code file}.
   *
   * @throws Refusal when the entry is not {@code <root>/code/<path>.py} or cannot be lexed
   */
  static ScriptSource of(String file, String text) {
    int code = file.toLowerCase(Locale.ROOT).indexOf(CODE);
    if (code <= 0 || file.substring(0, code).contains("/")) {
      throw Refusal.unsafe(file, 0, "is a .py entry outside the archive's code/ folder");
    }
    String path = file.substring(code + CODE.length(), file.length() - ".py".length());
    if (!path.matches("[A-Za-z_][A-Za-z0-9_]*(/[A-Za-z_][A-Za-z0-9_]*)*")) {
      throw Refusal.unsafe(file, 0, "has a name TorchScript would not give a code file");
    }
    List<List<Token>> lines = new ArrayList<>();
    List<Token> line = new ArrayList<>();
    for (Token t : ScriptLexer.tokens(text, file)) {
      if (t.kind() == Kind.NEWLINE) {
        lines.add(List.copyOf(line));
        line.clear();
      } else {
        line.add(t);
      }
    }
    return new ScriptSource(file, path.replace('/', '.'), List.copyOf(lines));
  }
}
