package dev.graft.plugins.vision.torchscript;

import ai.djl.nn.Parameter;
import dev.graft.spi.ParameterGroup;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Groups a module's parameters by their names' first components, in the module's parameter
 * order (bottom → top for a network written input first): {@code head.weight} joins
 * {@code head}; a first component with several numbered children (a {@code Sequential}) is split
 * by child, so {@code features.0.0.weight} and {@code features.0.1.bias} join {@code features.0}
 * and {@code features.1.0.weight} joins {@code features.1}. Stateless.
 */
final class NameGroups {
  private NameGroups() {}

  /** The groups; together they hold every parameter exactly once. */
  static List<ParameterGroup> of(List<Parameter> parameters) {
    Map<String, Set<String>> numbered = new LinkedHashMap<>();
    for (Parameter p : parameters) {
      String[] parts = p.getName().split("\\.");
      if (parts.length > 2 && parts[1].matches("\\d+")) {
        numbered.computeIfAbsent(parts[0], k -> new LinkedHashSet<>()).add(parts[1]);
      }
    }
    Map<String, List<Parameter>> groups = new LinkedHashMap<>();
    for (Parameter p : parameters) {
      groups.computeIfAbsent(key(p.getName(), numbered), k -> new ArrayList<>()).add(p);
    }
    List<ParameterGroup> out = new ArrayList<>(groups.size());
    groups.forEach((name, members) -> out.add(new ParameterGroup(name, members)));
    return out;
  }

  private static String key(String name, Map<String, Set<String>> numbered) {
    String[] parts = name.split("\\.");
    if (parts.length == 1) {
      return name;
    }
    Set<String> children = numbered.get(parts[0]);
    if (children != null && children.size() > 1 && parts.length > 2) {
      return parts[0] + "." + parts[1];
    }
    return parts[0];
  }
}
