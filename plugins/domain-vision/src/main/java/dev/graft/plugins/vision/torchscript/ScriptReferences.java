package dev.graft.plugins.vision.torchscript;

import dev.graft.plugins.vision.torchscript.ScriptDeclarations.Definition;
import java.util.ArrayList;
import java.util.List;

/**
 * Decides whether a dotted reference in TorchScript code is allowed, resolving it as
 * TorchScript's importer does: {@code torch.X} (also through {@code torch.autograd},
 * {@code torch.nn.functional}, {@code torch.ops}) is {@code aten::X}, {@code ops.NS.X} is
 * {@code NS::X}, {@code __torch__.a.b.C} is a class or function of the archive, and
 * {@code x.NAME} on a value is a member or a tensor method ({@code aten::NAME}).
 *
 * <p>Immutable; one instance serves one code file (named in its refusals).
 */
final class ScriptReferences {
  private final String file;
  private final ScriptDeclarations declarations;
  private final AllowList allow;

  ScriptReferences(String file, ScriptDeclarations declarations, AllowList allow) {
    this.file = file;
    this.declarations = declarations;
    this.allow = allow;
  }

  /** {@code torch.X}, {@code torch.nn.functional.X}, {@code ops.NS.X}, {@code torch.ops.NS.X}. */
  void operator(List<String> parts, int line) {
    String written = String.join(".", parts);
    List<String> rest = new ArrayList<>(parts.subList(1, parts.size()));
    String namespace = null;
    if (parts.get(0).equals("torch") && rest.size() > 2 && rest.get(0).equals("nn")
        && rest.get(1).equals("functional")) {
      rest = rest.subList(2, rest.size());
      namespace = "aten";
    } else if (parts.get(0).equals("torch") && !rest.isEmpty() && rest.get(0).equals("ops")) {
      rest = rest.subList(1, rest.size());
    } else if (parts.get(0).equals("torch")) {
      namespace = "aten";
    }
    if (namespace == null && !rest.isEmpty()) { // ops.NS
      namespace = rest.get(0);
      rest = rest.subList(1, rest.size());
    }
    while (rest.size() > 1 && rest.get(0).equals("autograd")) { // TorchScript: aten again
      namespace = "aten";
      rest = rest.subList(1, rest.size());
    }
    if (rest.size() != 1) {
      throw Refusal.forbidden("the reference '" + Refusal.quote(written) + "'", file, line);
    }
    String name = rest.get(0);
    if (!(namespace.equals("aten") || namespace.equals("prim"))
        || !allow.operator(namespace, name)) {
      throw Refusal.forbidden("operator '" + Refusal.quote(namespace + "::" + name) + "' ("
          + Refusal.quote(written) + ")", file, line);
    }
  }

  /** {@code __torch__.a.b.C[.member]} must name what the archive defines. */
  void archiveReference(List<String> parts, int line) {
    String written = String.join(".", parts);
    if (parts.size() > 2 && parts.get(1).equals("torch") && parts.get(2).equals("classes")) {
      throw Refusal.forbidden("the custom class '" + Refusal.quote(written) + "'", file, line);
    }
    for (int k = parts.size(); k >= 2; k--) {
      Definition d = declarations.definition(String.join(".", parts.subList(0, k)));
      if (d == null) {
        continue;
      }
      List<String> rest = parts.subList(k, parts.size());
      if (rest.isEmpty() || (d == Definition.CLASS && rest.size() == 1
          && (rest.get(0).equals("__new__") || declarations.isMember(rest.get(0))))) {
        return;
      }
      break;
    }
    throw Refusal.forbidden("the reference '" + Refusal.quote(written)
        + "' (no class or function of the archive)", file, line);
  }

  /** An attribute or method read on a value. */
  void member(String name, int line) {
    if (allow.member(name)) {
      return;
    }
    if (declarations.isMember(name) && !allow.isAtenName(name)) {
      return;
    }
    String why = allow.isAtenName(name) ? "operator 'aten::" + Refusal.quote(name)
        + "' (as a method)" : "the attribute or method '" + Refusal.quote(name) + "'";
    throw Refusal.forbidden(why, file, line);
  }
}
