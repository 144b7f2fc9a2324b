package dev.graft.plugins.nlp;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.graft.spi.GraftException;
import dev.graft.spi.ModelInput;
import java.util.List;

/**
 * One chunk of texts tokenized and padded to the longest sequence in the chunk, as flat
 * row-major {@code [size, length]} arrays. Pairs ({@link ModelInput.Text#pair()} not empty) are
 * encoded as two segments, which sets their {@code token_type_ids} to 1. Padding positions hold
 * id 0, type 0 and mask 0. Immutable once built; arrays are not copied.
 */
final class TokenBatch {

  private final int size;
  private final int length;
  private final long[] ids;
  private final long[] typeIds;
  private final long[] mask;

  private TokenBatch(int size, int length, long[] ids, long[] typeIds, long[] mask) {
    this.size = size;
    this.length = length;
    this.ids = ids;
    this.typeIds = typeIds;
    this.mask = mask;
  }

  /** Tokenizes {@code texts} with a tokenizer set up to truncate and not to pad. */
  static TokenBatch encode(HuggingFaceTokenizer tokenizer, List<ModelInput.Text> texts) {
    return encode(tokenizer, texts, 0, 0);
  }

  /**
   * Tokenizes {@code texts}, which are {@code inputs[offset…]} of a request.
   *
   * @param limit the most tokens an input may have (for a tokenizer that does not truncate), or
   *     0 for no check
   * @throws GraftException INVALID_ARGUMENT naming {@code inputs[i]}: INPUT_TOO_LONG over the
   *     limit, TOKENIZATION_FAILED when the tokenizer refuses the text (e.g. a truncation that
   *     cannot apply)
   */
  static TokenBatch encode(
      HuggingFaceTokenizer tokenizer, List<ModelInput.Text> texts, int limit, int offset) {
    Encoding[] encodings = new Encoding[texts.size()];
    int length = 1;
    for (int i = 0; i < encodings.length; i++) {
      ModelInput.Text text = texts.get(i);
      String field = "inputs[" + (offset + i) + "]";
      try {
        encodings[i] = text.pair().isEmpty()
            ? tokenizer.encode(text.text())
            : tokenizer.encode(text.text(), text.pair());
      } catch (RuntimeException e) {
        throw GraftException.invalidArgument(
            field, "TOKENIZATION_FAILED", field + " cannot be tokenized: " + e.getMessage());
      }
      int tokens = encodings[i].getIds().length;
      if (limit > 0 && tokens > limit) {
        throw GraftException.invalidArgument(field, "INPUT_TOO_LONG", field + " has " + tokens
            + " tokens; the limit is " + limit + " (truncation is off)");
      }
      length = Math.max(length, tokens);
    }
    long[] ids = new long[encodings.length * length];
    long[] typeIds = new long[ids.length];
    long[] mask = new long[ids.length];
    for (int i = 0; i < encodings.length; i++) {
      long[] rowIds = encodings[i].getIds();
      System.arraycopy(rowIds, 0, ids, i * length, rowIds.length);
      long[] rowTypes = encodings[i].getTypeIds();
      System.arraycopy(rowTypes, 0, typeIds, i * length, rowTypes.length);
      long[] rowMask = encodings[i].getAttentionMask();
      System.arraycopy(rowMask, 0, mask, i * length, rowMask.length);
    }
    return new TokenBatch(encodings.length, length, ids, typeIds, mask);
  }

  int size() {
    return size;
  }

  /** The padded sequence length. */
  int length() {
    return length;
  }

  long[] ids() {
    return ids;
  }

  long[] typeIds() {
    return typeIds;
  }

  long[] mask() {
    return mask;
  }
}
