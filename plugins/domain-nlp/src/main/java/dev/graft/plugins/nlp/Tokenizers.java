package dev.graft.plugins.nlp;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Builds Hugging Face tokenizers for a length limit and truncation. DJL ignores the padding and
 * truncation in {@code tokenizer.json}, so both are set explicitly; padding is off (batches pad
 * themselves). Stateless; the caller owns and closes each tokenizer.
 */
final class Tokenizers {
  private Tokenizers() {}

  static HuggingFaceTokenizer open(Path json, int maxTokens, Truncation truncation)
      throws IOException {
    HuggingFaceTokenizer.Builder b = HuggingFaceTokenizer.builder()
        .optTokenizerPath(json)
        .optAddSpecialTokens(true)
        .optPadding(false);
    switch (truncation) {
      case LONGEST_FIRST -> b.optMaxLength(maxTokens).optTruncation(true);
      case ONLY_FIRST -> b.optMaxLength(maxTokens).optTruncateFirstOnly();
      case ONLY_SECOND -> b.optMaxLength(maxTokens).optTruncateSecondOnly();
      case NONE -> b.optTruncation(false);
    }
    return b.build();
  }
}
