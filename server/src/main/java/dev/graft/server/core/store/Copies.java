package dev.graft.server.core.store;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Null-tolerant immutable copies for record components. Stateless. */
final class Copies {
  private Copies() {}

  static String text(String s) {
    return s == null ? "" : s;
  }

  static <T> List<T> list(List<T> list) {
    return list == null ? List.of() : List.copyOf(list);
  }

  /** An unmodifiable copy sorted by key, so that the JSON form is stable. */
  static <V> Map<String, V> sortedMap(Map<String, V> map) {
    return map == null || map.isEmpty() ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(map));
  }

  /** An unmodifiable copy keeping the map's iteration order. */
  static <V> Map<String, V> orderedMap(Map<String, V> map) {
    return map == null || map.isEmpty() ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(map));
  }
}
