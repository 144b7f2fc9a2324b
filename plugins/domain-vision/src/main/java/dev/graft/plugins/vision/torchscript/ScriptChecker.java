package dev.graft.plugins.vision.torchscript;

import dev.graft.plugins.vision.torchscript.ScriptLexer.Kind;
import dev.graft.plugins.vision.torchscript.ScriptLexer.Token;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks every name in one code file against the allow-list, as TorchScript would resolve it
 * (dotted references are decided by {@link ScriptReferences}):
 * <ul>
 *   <li>{@code torch.NAME}, {@code torch.nn.functional.NAME}, {@code ops.NS.NAME},
 *       {@code torch.ops.NS.NAME} name the operator {@code NS::NAME} (aten for torch), which
 *       must be in the allow-list's [aten] or [prim] section;
 *   <li>{@code __torch__.X} must name a class or function the archive defines (never
 *       {@code __torch__.torch.classes}, PyTorch's C++ custom classes);
 *       {@code CONSTANTS.cN} is a constant of the archive;
 *   <li>{@code x.NAME} and {@code getattr(x, "NAME")} on a value must be an allowed operator
 *       or property, or a member some class of the archive declares whose name is no aten
 *       operator (on a tensor, {@code x.NAME(...)} would run {@code aten::NAME});
 *   <li>any other bare name must be a local bound earlier in the same function (parameters,
 *       assignments, for targets), a keyword, or an allowed builtin or type. A local may not
 *       take the name of a builtin or of torch/ops/fork and the like.
 * </ul>
 * The file's top level may hold only classes and functions; class bodies only attribute
 * declarations and methods; nested functions, comprehensions and statements such as
 * {@code with}, {@code import}, {@code del}, {@code raise} or {@code lambda} are refused.
 *
 * <p>Not thread-safe: one instance checks one file.
 */
final class ScriptChecker {
  private static final Set<String> KEYWORDS = Set.of("if", "elif", "else", "for", "in", "while",
      "return", "pass", "break", "continue", "and", "or", "not", "is", "None", "True", "False");
  /** Names TorchScript resolves before any builtin; a local may not shadow them either. */
  private static final Set<String> RESERVED = Set.of("torch", "ops", "CONSTANTS", "__torch__",
      "fork", "awaitable", "annotate", "unchecked_cast", "uninitialized", "inf", "nan", "infj",
      "nanj", "print", "tuple", "float", "complex", "int", "bool", "str", "getattr", "hasattr",
      "isinstance", "_to_tensor", "len", "hex", "oct", "round", "hash", "id", "min", "max", "abs",
      "all", "any", "divmod", "sum", "list", "dict", "ord", "chr", "bin", "pow", "range", "zip",
      "enumerate", "rangelist", "sorted", "AssertionError");
  /** Python keywords TorchScript's parser knows but this audit does not accept. */
  private static final Set<String> OTHER_KEYWORDS = Set.of("def", "class", "del", "with", "as",
      "import", "from", "raise", "assert", "lambda", "global", "nonlocal", "yield", "async",
      "await", "try", "except", "finally");
  private static final Set<String> CLASS_BASES = Set.of("Module", "NamedTuple", "Interface",
      "ModuleInterface");
  /** Class-body names TorchScript's importer reads as module metadata. */
  private static final Set<String> CLASS_METADATA = Set.of("__parameters__", "__buffers__",
      "__annotations__", "__forward_hooks__", "__forward_pre_hooks__");

  /** The longest logical line accepted (torchvision's longest has under 200 tokens). */
  static final int MAX_LINE_TOKENS = 5_000;

  private final ScriptSource source;
  private final AllowList allow;
  private final ScriptReferences references;
  /** The current function's locals: name -> the running token number from which it is bound. */
  private Map<String, Integer> locals = Map.of();
  /** Names bound by the current line, visible from the next one on. */
  private final List<String> pending = new ArrayList<>();
  private int position;
  /** The line whose closing brackets {@link #closing} holds. */
  private List<Token> closedLine;
  private int[] closing;

  ScriptChecker(ScriptSource source, ScriptDeclarations declarations, AllowList allow) {
    this.source = source;
    this.allow = allow;
    this.references = new ScriptReferences(source.file(), declarations, allow);
  }

  /**
   * Checks the file.
   *
   * @throws Refusal naming the first name that is not allowed
   */
  void check() {
    int classIndent = -1;
    int defIndent = -1;
    boolean inClass = false;
    for (List<Token> line : source.lines()) {
      Token first = line.get(0);
      if (line.size() > MAX_LINE_TOKENS) {
        throw structure(first, "has a line of more than " + MAX_LINE_TOKENS + " tokens");
      }
      int indent = first.indent();
      if (indent == 0) {
        locals = Map.of();
        defIndent = -1;
        inClass = first.is("class");
        classIndent = -1;
        if (inClass) {
          classHeader(line);
        } else if (first.is("def")) {
          defIndent = 0;
          defHeader(line);
        } else {
          throw structure(first, "may hold only classes and functions at its top level");
        }
      } else if (defIndent >= 0 && indent > defIndent) {
        statement(line);
      } else if (inClass) {
        if (classIndent < 0) {
          classIndent = indent;
        }
        if (indent != classIndent) {
          throw structure(first, "has a class body line out of place");
        }
        locals = Map.of();
        if (first.is("def")) {
          defIndent = indent;
          defHeader(line);
        } else {
          defIndent = -1;
          classMember(line);
        }
      } else {
        throw structure(first, "has an indented line outside a class or function");
      }
      position += line.size() + 1;
    }
  }

  // ---- headers and class bodies -------------------------------------------------------------

  private void classHeader(List<Token> line) {
    boolean plain = line.size() == 3 && line.get(1).kind() == Kind.NAME && line.get(2).is(":");
    if (!plain && !(line.size() == 6 && line.get(1).kind() == Kind.NAME && line.get(2).is("(")
        && CLASS_BASES.contains(line.get(3).text()) && line.get(4).is(")")
        && line.get(5).is(":"))) {
      throw structure(line.get(0), "has a class header that is not 'class NAME:' or 'class "
          + "NAME(Module|NamedTuple|Interface|ModuleInterface):'");
    }
    // PyTorch's importer gives some quantized classes (found by their demangled names) C++
    // custom-class attributes, and skips classes under torch.classes: neither is accepted.
    String demangled = (source.qualifier() + "." + line.get(1).text())
        .replaceAll("\\.___torch_mangle_\\d+", "");
    if ((demangled + ".").contains(".quantized.")
        || demangled.startsWith("__torch__.torch.classes.")) {
      throw Refusal.forbidden("the class '" + Refusal.quote(demangled) + "' (quantized or custom"
          + " class)", source.file(), line.get(0).line());
    }
  }

  /** {@code def NAME(p: T = d, ...) -> T:}; parameters become the function's first locals. */
  private void defHeader(List<Token> line) {
    if (line.size() < 5 || line.get(1).kind() != Kind.NAME || !line.get(2).is("(")
        || !line.get(line.size() - 1).is(":")) {
      throw structure(line.get(0), "has a malformed def");
    }
    int close = matching(line, 2);
    locals = new HashMap<>();
    int start = 3;
    while (start < close) {
      int end = nextAtDepth(line, start, close, ",", line.get(2).depth() + 1);
      Token name = line.get(start);
      if (name.kind() != Kind.NAME) {
        throw structure(name, "has a parameter that is not a plain name");
      }
      bind(name);
      int equals = nextAtDepth(line, start + 1, end, "=", name.depth());
      if (start + 1 < end && !line.get(start + 1).is(":")) {
        throw structure(name, "has a malformed parameter");
      }
      uses(line, start + 2, equals); // the annotation
      uses(line, equals + 1, end); // the default
      start = end + 1;
    }
    if (close + 1 < line.size() - 1) {
      if (!line.get(close + 1).is("->")) {
        throw structure(line.get(close), "has a malformed def");
      }
      uses(line, close + 2, line.size() - 1); // the return type
    }
    setBound(line); // parameters are bound from the body on
  }

  /** {@code NAME : T [= v]}, {@code NAME = v} or {@code __annotations__["n"] = T}. */
  private void classMember(List<Token> line) {
    Token first = line.get(0);
    if (first.is("__annotations__")) {
      if (line.size() < 6 || !line.get(1).is("[") || ScriptStrings.plain(line.get(2)) == null
          || !line.get(3).is("]") || !line.get(4).is("=")) {
        throw structure(first, "has a malformed __annotations__ entry");
      }
      uses(line, 5, line.size());
      return;
    }
    if (first.kind() != Kind.NAME || line.size() < 3
        || !(line.get(1).is(":") || line.get(1).is("="))
        || (KEYWORDS.contains(first.text()) || RESERVED.contains(first.text()))) {
      throw structure(first, "has a class body line that is neither an attribute nor a method");
    }
    if (first.text().startsWith("__") && !CLASS_METADATA.contains(first.text())) {
      throw Refusal.forbidden("class attribute '" + Refusal.quote(first.text()) + "'",
          source.file(), first.line());
    }
    uses(line, 2, line.size());
  }

  // ---- function bodies ----------------------------------------------------------------------

  private void statement(List<Token> line) {
    Token first = line.get(0);
    if (first.is("def") || first.is("class")) {
      throw structure(first, "defines a nested class or function");
    }
    if (first.is("for")) {
      int in = nextAtDepth(line, 1, line.size(), "in", 0);
      uses(line, in + 1, line.size());
      for (int i = 1; i < in; i++) {
        Token t = line.get(i);
        if (t.kind() == Kind.NAME) {
          bind(t);
        } else if (!t.is(",") && !t.is("(") && !t.is(")")) {
          throw structure(t, "has a for loop over something other than plain names");
        }
      }
      setBound(line);
      return;
    }
    int equals = nextAtDepth(line, 0, line.size(), "=", 0);
    if (equals == line.size()) {
      uses(line, 0, line.size());
      return;
    }
    if (nextAtDepth(line, equals + 1, line.size(), "=", 0) < line.size()) {
      throw structure(first, "chains assignments");
    }
    uses(line, equals + 1, line.size());
    int colon = nextAtDepth(line, 0, equals, ":", 0);
    if (colon < equals) { // NAME : TYPE = value
      if (colon != 1 || first.kind() != Kind.NAME) {
        throw structure(first, "has a malformed annotated assignment");
      }
      uses(line, 2, equals);
      bind(first);
    } else {
      targets(line, equals);
    }
    setBound(line);
  }

  /** Assignment targets: plain names are bound, anything else (x.a, x[i]) is checked as use. */
  private void targets(List<Token> line, int equals) {
    int start = 0;
    while (start < equals) {
      int end = nextAtDepth(line, start, equals, ",", line.get(start).depth());
      boolean parenthesised = line.get(start).is("(") && line.get(end - 1).is(")");
      int a = parenthesised ? start + 1 : start;
      int b = parenthesised ? end - 1 : end;
      if (b - a == 1 && line.get(a).kind() == Kind.NAME) {
        bind(line.get(a));
      } else if (parenthesised && b > a) {
        targets(line.subList(a, b), b - a);
      } else {
        uses(line, start, end);
      }
      start = end + 1;
    }
  }

  private void bind(Token name) {
    if (KEYWORDS.contains(name.text()) || OTHER_KEYWORDS.contains(name.text())
        || RESERVED.contains(name.text()) || allow.builtin(name.text())) {
      throw Refusal.forbidden("rebinding the builtin name '" + Refusal.quote(name.text()) + "'",
          source.file(), name.line());
    }
    if (!locals.containsKey(name.text())) {
      locals.put(name.text(), Integer.MAX_VALUE);
      pending.add(name.text());
    }
  }

  /** Names bound by this line become visible from the next line on. */
  private void setBound(List<Token> line) {
    for (String name : pending) {
      locals.put(name, position + line.size());
    }
    pending.clear();
  }

  // ---- uses ---------------------------------------------------------------------------------

  /** Checks the names in {@code line[from, to)}. */
  private void uses(List<Token> line, int from, int to) {
    int i = from;
    while (i < to) {
      Token t = line.get(i);
      if (t.kind() != Kind.NAME) {
        i++;
        continue;
      }
      if (KEYWORDS.contains(t.text())) {
        if (t.is("for")) { // statements start with for; anywhere else it is a comprehension
          throw structure(t, "has a comprehension");
        }
        i++;
        continue;
      }
      if (i > 0 && line.get(i - 1).is(".")) { // an attribute of a value: (x).NAME, x[0].NAME
        references.member(t.text(), t.line());
        i++;
        continue;
      }
      if (i + 1 < to && line.get(i + 1).is("=") && t.depth() > 0) { // a keyword argument
        i += 2;
        continue;
      }
      i = chain(line, i, to);
    }
  }

  /** Checks the dotted chain NAME(.NAME)* starting at {@code i}; returns the index after it. */
  private int chain(List<Token> line, int i, int to) {
    List<String> parts = new ArrayList<>();
    parts.add(line.get(i).text());
    int j = i + 1;
    while (j + 1 < to && line.get(j).is(".") && line.get(j + 1).kind() == Kind.NAME) {
      parts.add(line.get(j + 1).text());
      j += 2;
    }
    Token t = line.get(i);
    String root = parts.get(0);
    Integer bound = locals.get(root);
    if (bound != null && bound <= position + i) {
      parts.subList(1, parts.size()).forEach(p -> references.member(p, t.line()));
    } else if (root.equals("torch") || root.equals("ops")) {
      references.operator(parts, t.line());
    } else if (root.equals("__torch__")) {
      references.archiveReference(parts, t.line());
    } else if (root.equals("CONSTANTS")) {
      if (parts.size() != 2 || !parts.get(1).matches("c\\d{1,9}")) {
        throw Refusal.forbidden("the reference '" + Refusal.quote(String.join(".", parts)) + "'",
            source.file(), t.line());
      }
    } else if (allow.builtin(root) && parts.size() == 1) {
      if (root.equals("getattr")) {
        getattr(line, i, to);
      }
    } else {
      throw Refusal.forbidden("the name '" + Refusal.quote(String.join(".", parts)) + "'",
          source.file(), t.line());
    }
    return j;
  }

  /** {@code getattr(x, "NAME")}: the name must be a constant string and an allowed member. */
  private void getattr(List<Token> line, int i, int to) {
    if (i + 1 >= to || !line.get(i + 1).is("(")) {
      throw Refusal.forbidden("getattr used other than as getattr(x, \"name\")", source.file(),
          line.get(i).line());
    }
    int close = matching(line, i + 1);
    int comma = nextAtDepth(line, i + 2, close, ",", line.get(i + 1).depth() + 1);
    String name = comma + 2 == close ? ScriptStrings.plain(line.get(comma + 1)) : null;
    if (name == null) {
      throw Refusal.forbidden("getattr with a name that is not a plain string", source.file(),
          line.get(i).line());
    }
    references.member(name, line.get(i).line());
  }

  // ---- token helpers ------------------------------------------------------------------------

  /** The index of the bracket closing the one at {@code open} (linear per line: cached). */
  private int matching(List<Token> line, int open) {
    if (line != closedLine) {
      closing = new int[line.size()];
      ArrayDeque<Integer> opened = new ArrayDeque<>();
      for (int i = 0; i < line.size(); i++) {
        Token t = line.get(i);
        if (t.kind() == Kind.OP && "([{".contains(t.text())) {
          opened.push(i);
        } else if (t.kind() == Kind.OP && ")]}".contains(t.text()) && !opened.isEmpty()) {
          closing[opened.pop()] = i;
        }
      }
      closedLine = line;
    }
    if (closing[open] <= open) {
      throw structure(line.get(open), "has an unclosed bracket");
    }
    return closing[open];
  }

  /** The first index in [from, to) of {@code text} at bracket depth {@code depth}, else to. */
  private static int nextAtDepth(List<Token> line, int from, int to, String text, int depth) {
    for (int i = from; i < to; i++) {
      if (line.get(i).depth() == depth && line.get(i).is(text)) {
        return i;
      }
    }
    return to;
  }

  private Refusal structure(Token at, String why) {
    return Refusal.unsafe(source.file(), at.line(), why);
  }
}
