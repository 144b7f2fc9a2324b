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
  /**
   * The most characters of one text (or pair segment) that can matter for {@code max_tokens}
   * tokens: a WordPiece token covers at most one word of 100 characters (longer words become one
   * {@code [UNK]}) plus a separator. Texts are cut to {@code maxTokens} times this before they are
   * tokenized, so a 10 MB text costs what its first few pages cost.
   */
  static final int CHARS_PER_TOKEN = 128;

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

  /** Tokenizes short, trusted {@code texts} (probes) with a tokenizer set up to truncate and not to pad. */
  static TokenBatch encode(HuggingFaceTokenizer tokenizer, List<ModelInput.Text> texts) {
    return encode(tokenizer, texts, Integer.MAX_VALUE / CHARS_PER_TOKEN, 0, 0);
  }

  /**
   * Tokenizes {@code texts}, which are {@code inputs[offset…]} of a request.
   *
   * @param maxTokens the model's (or request's) token limit; each text is first cut to
   *     {@code maxTokens * }{@value #CHARS_PER_TOKEN} characters
   * @param limit the most tokens an input may have (for a tokenizer that does not truncate), or
   *     0 for no check; such an input longer than the character cut is refused at once
   * @throws GraftException INVALID_ARGUMENT naming {@code inputs[i]}: INPUT_TOO_LONG over the
   *     limit, TOKENIZATION_FAILED when the tokenizer refuses the text (e.g. a truncation that
   *     cannot apply)
   */
  static TokenBatch encode(
      HuggingFaceTokenizer tokenizer, List<ModelInput.Text> texts, int maxTokens, int limit, int offset) {
    return pad(List.of(tokenize(tokenizer, texts, maxTokens, limit, offset)));
  }

  /**
   * Tokenizes each text on its own, unpadded, checking it as {@link #encode(HuggingFaceTokenizer,
   * List, int, int, int)} does.
   */
  static Encoding[] tokenize(
      HuggingFaceTokenizer tokenizer, List<ModelInput.Text> texts, int maxTokens, int limit, int offset) {
    int maxChars = (int) Math.min(Integer.MAX_VALUE, (long) maxTokens * CHARS_PER_TOKEN);
    Encoding[] encodings = new Encoding[texts.size()];
    for (int i = 0; i < encodings.length; i++) {
      ModelInput.Text text = texts.get(i);
      String field = "inputs[" + (offset + i) + "]";
      if (limit > 0 && Math.max(text.text().length(), text.pair().length()) > maxChars) {
        throw GraftException.invalidArgument(field, "INPUT_TOO_LONG", field + " has more than " + maxChars
            + " characters, so more than " + limit + " tokens (truncation is off)");
      }
      String first = cut(text.text(), maxChars);
      String second = cut(text.pair(), maxChars);
      try {
        encodings[i] = second.isEmpty()
            ? tokenizer.encode(first)
            : tokenizer.encode(first, second);
      } catch (RuntimeException e) {
        throw GraftException.invalidArgument(
            field, "TOKENIZATION_FAILED", field + " cannot be tokenized: " + e.getMessage());
      }
      int tokens = encodings[i].getIds().length;
      if (limit > 0 && tokens > limit) {
        throw GraftException.invalidArgument(field, "INPUT_TOO_LONG", field + " has " + tokens
            + " tokens; the limit is " + limit + " (truncation is off)");
      }
    }
    return encodings;
  }

  /** Tokenized texts padded to the longest of them. */
  static TokenBatch pad(List<Encoding> encodings) {
    int length = 1;
    for (Encoding e : encodings) {
      length = Math.max(length, e.getIds().length);
    }
    long[] ids = new long[encodings.size() * length];
    long[] typeIds = new long[ids.length];
    long[] mask = new long[ids.length];
    for (int i = 0; i < encodings.size(); i++) {
      long[] rowIds = encodings.get(i).getIds();
      System.arraycopy(rowIds, 0, ids, i * length, rowIds.length);
      long[] rowTypes = encodings.get(i).getTypeIds();
      System.arraycopy(rowTypes, 0, typeIds, i * length, rowTypes.length);
      long[] rowMask = encodings.get(i).getAttentionMask();
      System.arraycopy(rowMask, 0, mask, i * length, rowMask.length);
    }
    return new TokenBatch(encodings.size(), length, ids, typeIds, mask);
  }

  static String cut(String text, int maxChars) {
    if (text.length() <= maxChars) {
      return text;
    }
    int end = Character.isHighSurrogate(text.charAt(maxChars - 1)) ? maxChars - 1 : maxChars;
    return text.substring(0, end);
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
