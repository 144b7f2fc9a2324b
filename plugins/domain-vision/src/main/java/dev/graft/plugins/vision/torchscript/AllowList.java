package dev.graft.plugins.vision.torchscript;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * What a TorchScript vision module may refer to, read from the commented resource
 * {@value #RESOURCE} (sections {@code [aten]}, {@code [prim]}, {@code [properties]},
 * {@code [builtins]}, {@code [types]}, {@code [pickle-globals]}), plus the names of every
 * operator PyTorch's {@code aten} namespace defines ({@value #OPERATOR_NAMES}, generated from
 * torch 2.7.1), which a name the archive declares itself must not shadow: a method call
 * {@code (x).NAME(...)} on a tensor runs {@code aten::NAME} even when some class in the archive
 * also has a method NAME.
 *
 * <p>Immutable; the one instance is shared.
 */
final class AllowList {
  static final String RESOURCE = "operator-allow-list.txt";
  static final String OPERATOR_NAMES = "aten-operator-names.txt";
  private static final AllowList INSTANCE = new AllowList();

  private final Map<String, Set<String>> sections;
  private final Set<String> atenNames;

  private AllowList() {
    sections = read(RESOURCE, true);
    atenNames = read(OPERATOR_NAMES, false).get("");
  }

  static AllowList get() {
    return INSTANCE;
  }

  /** Whether operator {@code ns::name} may be called ({@code ns} is aten or prim). */
  boolean operator(String namespace, String name) {
    return section(namespace).contains(name);
  }

  /** Whether {@code name} may be read or called on a value (a tensor method or property). */
  boolean member(String name) {
    return section("aten").contains(name) || section("properties").contains(name);
  }

  /** Whether a bare name (a builtin function or a type) may be used. */
  boolean builtin(String name) {
    return section("builtins").contains(name) || section("types").contains(name);
  }

  /** Whether a pickle may refer to {@code module.name}. */
  boolean pickleGlobal(String qualified) {
    return section("pickle-globals").contains(qualified);
  }

  /** Whether {@code name} is the name of some aten operator (allowed or not). */
  boolean isAtenName(String name) {
    return atenNames.contains(name);
  }

  /** How many names the allow-list holds, all sections together. */
  int size() {
    return sections.values().stream().mapToInt(Set::size).sum();
  }

  private Set<String> section(String name) {
    return sections.getOrDefault(name, Set.of());
  }

  /** Names by section; with {@code sectioned} false every name lands in section "". */
  private static Map<String, Set<String>> read(String resource, boolean sectioned) {
    Map<String, Set<String>> out = new HashMap<>();
    String section = "";
    try (InputStream in = AllowList.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("the resource " + resource + " is missing");
      }
      BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        int hash = line.indexOf('#');
        String text = (hash < 0 ? line : line.substring(0, hash)).trim();
        if (text.isEmpty()) {
          continue;
        }
        if (sectioned && text.startsWith("[") && text.endsWith("]")) {
          section = text.substring(1, text.length() - 1);
          continue;
        }
        for (String name : text.split("\\s+")) {
          out.computeIfAbsent(section, k -> new HashSet<>()).add(name);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    out.replaceAll((k, v) -> Set.copyOf(v));
    out.putIfAbsent("", Set.of());
    return Map.copyOf(out);
  }
}
