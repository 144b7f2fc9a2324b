package dev.graft.server.api;

import dev.graft.spi.GraftException;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Paging and filtering for List calls. A page token is the offset of the next item; page size 0
 * means {@value #DEFAULT_SIZE}, at most {@value #MAX_SIZE}. A filter is {@code key=value}, with the
 * keys a call allows.
 */
final class Pages {
  static final int DEFAULT_SIZE = 100;
  static final int MAX_SIZE = 1000;

  private Pages() {}

  record Page<T>(List<T> items, String nextToken) {}

  static <T> Page<T> page(List<T> all, int pageSize, String token) {
    if (pageSize < 0) {
      throw GraftException.invalidArgument("page_size", "INVALID_PAGE_SIZE", "page_size must be ≥ 0");
    }
    int size = pageSize == 0 ? DEFAULT_SIZE : Math.min(pageSize, MAX_SIZE);
    int start;
    try {
      start = token.isEmpty() ? 0 : Integer.parseInt(token);
    } catch (NumberFormatException e) {
      throw GraftException.invalidArgument("page_token", "INVALID_PAGE_TOKEN", "page_token '" + token
          + "' was not returned by this call");
    }
    if (start < 0 || start > all.size()) {
      throw GraftException.invalidArgument("page_token", "INVALID_PAGE_TOKEN", "page_token is out of range");
    }
    int end = Math.min(all.size(), start + size);
    return new Page<>(all.subList(start, end), end < all.size() ? Integer.toString(end) : "");
  }

  /**
   * Keeps the items whose field (named in {@code filter}) equals the filter's value; a model
   * reference without a version ({@code base_model=minilm-l6}) matches every version of it.
   */
  static <T> List<T> filter(List<T> all, String filter, Map<String, Function<T, String>> keys) {
    if (filter == null || filter.isBlank()) {
      return all;
    }
    int eq = filter.indexOf('=');
    String key = eq < 0 ? "" : filter.substring(0, eq).trim();
    Function<T, String> field = keys.get(key);
    if (field == null) {
      throw GraftException.invalidArgument("filter", "INVALID_FILTER",
          "filter must be KEY=VALUE with KEY one of " + keys.keySet() + "; got '" + filter + "'");
    }
    String value = filter.substring(eq + 1).trim();
    String anyVersion = value.contains("@") ? null : value.toLowerCase(java.util.Locale.ROOT) + "@";
    return all.stream().filter(t -> {
      String have = String.valueOf(field.apply(t));
      return value.equalsIgnoreCase(have)
          || (anyVersion != null && have.toLowerCase(java.util.Locale.ROOT).startsWith(anyVersion));
    }).toList();
  }
}
