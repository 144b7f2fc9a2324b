package dev.graft.plugins.vision.torchscript;

import dev.graft.plugins.vision.torchscript.ScriptLexer.Kind;
import dev.graft.plugins.vision.torchscript.ScriptLexer.Token;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the code files of an archive define: its classes and functions by qualified name
 * ({@code __torch__.torch.nn.modules.conv.Conv2d}), and the member names its classes declare
 * (attributes, constants and methods of any class). A reference {@code __torch__.X} in the code
 * or the pickles must name one of these, and an attribute or method read on a value must be an
 * allowed operator or one of these members.
 *
 * <p>Not thread-safe while it is filled; read-only afterwards.
 */
final class ScriptDeclarations {
  /** What a qualified name stands for. */
  enum Definition { CLASS, FUNCTION }

  private final Map<String, Definition> definitions = new HashMap<>();
  private final Set<String> members = new HashSet<>();

  /** Records what {@code source} defines (its top level and its class bodies). */
  void add(ScriptSource source) {
    int classIndent = -1; // the indentation of the current class's body, once seen
    boolean inClass = false;
    for (List<Token> line : source.lines()) {
      Token first = line.get(0);
      if (first.indent() == 0) {
        inClass = first.is("class");
        classIndent = -1;
        if ((first.is("class") || first.is("def")) && line.size() > 1
            && line.get(1).kind() == Kind.NAME) {
          definitions.put(source.qualifier() + "." + line.get(1).text(),
              inClass ? Definition.CLASS : Definition.FUNCTION);
        }
        continue;
      }
      if (!inClass) {
        continue;
      }
      if (classIndent < 0) {
        classIndent = first.indent();
      }
      if (first.indent() == classIndent) {
        member(line);
      }
    }
  }

  /** A class body line: {@code def NAME}, {@code NAME : T [= v]} or an __annotations__ entry. */
  private void member(List<Token> line) {
    Token first = line.get(0);
    if (first.is("def") && line.size() > 1 && line.get(1).kind() == Kind.NAME) {
      members.add(line.get(1).text());
    } else if (first.is("__annotations__") && line.size() > 2 && line.get(1).is("[")
        && line.get(2).kind() == Kind.STRING) {
      String name = ScriptStrings.plain(line.get(2));
      if (name != null) {
        members.add(name);
      }
    } else if (first.kind() == Kind.NAME && line.size() > 1
        && (line.get(1).is(":") || line.get(1).is("="))) {
      members.add(first.text());
    }
  }

  /** What {@code qualified} names in this archive, or null. */
  Definition definition(String qualified) {
    return definitions.get(qualified);
  }

  /** Whether some class of the archive declares a member {@code name}. */
  boolean isMember(String name) {
    return members.contains(name);
  }
}
