package dev.graft.server.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** Filters: exact, case-insensitive; a model without a version matches all its versions. */
class PagesFilterTest {
  private static final Map<String, Function<String, String>> KEYS = Map.of("base_model", Function.identity());
  private static final List<String> BASES = List.of("minilm-l6@1", "minilm-l6@2", "minilm-l6-q@1", "bge-small-en@1");

  @Test
  void aBareModelNameMatchesEveryVersionAndNoOtherModel() {
    assertEquals(List.of("minilm-l6@1", "minilm-l6@2"), Pages.filter(BASES, "base_model=minilm-l6", KEYS));
    assertEquals(List.of("minilm-l6@2"), Pages.filter(BASES, "base_model=MiniLM-L6@2", KEYS));
    assertEquals(List.of(), Pages.filter(BASES, "base_model=minilm", KEYS));
  }
}
