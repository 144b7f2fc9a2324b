package dev.graft.server.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** "Did you mean" only for plausible typos. */
class SuggestionsTest {
  private static final List<String> MODELS = List.of("minilm-l6", "minilm-l6-q", "bge-small-en", "reviews");

  @Test
  void aTypoGetsTheClosestName() {
    assertEquals(Optional.of("minilm-l6"), Suggestions.nearest("minilm-l7", MODELS));
    assertEquals(Optional.of("reviews"), Suggestions.nearest("reveiws", MODELS));
    assertEquals(Optional.of("bge-small-en"), Suggestions.nearest("BGE-small-en", MODELS));
    assertEquals("model 'minilm-16' not found; did you mean 'minilm-l6'?",
        Suggestions.withSuggestion("model 'minilm-16' not found", "minilm-16", MODELS));
  }

  @Test
  void somethingElseGetsNoSuggestion() {
    assertEquals(Optional.empty(), Suggestions.nearest("resnet-50", MODELS));
    assertEquals(Optional.empty(), Suggestions.nearest("ab", List.of("cd")));
    assertEquals(Optional.empty(), Suggestions.nearest("x".repeat(65), List.of("x".repeat(64))));
    assertEquals("dataset 'zzz' not found", Suggestions.withSuggestion("dataset 'zzz' not found", "zzz", MODELS));
  }
}
