package dev.graft.plugins.nlp;

import dev.graft.spi.BaseModel;
import dev.graft.spi.GraftException;
import dev.graft.spi.Pooling;
import java.util.Locale;

/**
 * The manifest properties a text encoder reads, parsed and checked once at open. Immutable.
 *
 * @param maxTokens longest input in tokens, special tokens included (property {@code max_tokens},
 *     default 512); longer inputs are truncated
 * @param layers number of transformer layers (property {@code layers}), or 0 when unknown
 * @param hiddenSize declared hidden size (property {@code hidden_size}), or 0 when undeclared
 * @param pooling the pooling used for {@link Pooling#DEFAULT} (property {@code pooling}, default
 *     mean); never DEFAULT itself
 * @param predictors how many engine calls may run at once (property {@code predictors}, default 2)
 * @param truncation how over-long inputs are cut (property {@code truncation}, default
 *     longest_first; {@code none} refuses them)
 * @param attentionHeads attention heads per layer (property {@code attention_heads}), or 0 to read
 *     them from the graph when it is rebuilt as a trainable block
 */
record EncoderSettings(
    int maxTokens,
    int layers,
    int hiddenSize,
    Pooling pooling,
    int predictors,
    Truncation truncation,
    int attentionHeads) {

  static final String MAX_TOKENS = "max_tokens";
  static final String LAYERS = "layers";
  static final String HIDDEN_SIZE = "hidden_size";
  static final String POOLING = "pooling";
  static final String PREDICTORS = "predictors";
  static final String TRUNCATION = "truncation";
  static final String ATTENTION_HEADS = "attention_heads";

  static final int DEFAULT_MAX_TOKENS = 512;
  static final int DEFAULT_PREDICTORS = 2;

  /**
   * Reads the settings of {@code model}.
   *
   * @throws GraftException FAILED_PRECONDITION (INVALID_MODEL_PROPERTY) for a malformed value
   */
  static EncoderSettings of(BaseModel model) {
    int maxTokens = positiveInt(model, MAX_TOKENS, DEFAULT_MAX_TOKENS);
    if (maxTokens < 2) {
      throw invalid(model, MAX_TOKENS, "must be at least 2 (room for [CLS] and [SEP])");
    }
    return new EncoderSettings(
        maxTokens,
        positiveInt(model, LAYERS, 0),
        positiveInt(model, HIDDEN_SIZE, 0),
        pooling(model),
        positiveInt(model, PREDICTORS, DEFAULT_PREDICTORS),
        truncation(model),
        positiveInt(model, ATTENTION_HEADS, 0));
  }

  /** These settings with another length limit and truncation (per-request options). */
  EncoderSettings with(int maxTokens, Truncation truncation) {
    return new EncoderSettings(
        maxTokens, layers, hiddenSize, pooling, predictors, truncation, attentionHeads);
  }

  private static Truncation truncation(BaseModel model) {
    String raw = model.property(TRUNCATION, "longest_first");
    Truncation t = Truncation.parse(raw);
    if (t == null) {
      throw invalid(model, TRUNCATION,
          "must be one of longest_first, only_first, only_second, none, got '" + raw + "'");
    }
    return t;
  }

  private static int positiveInt(BaseModel model, String key, int fallback) {
    String raw = model.property(key, "").trim();
    if (raw.isEmpty()) {
      return fallback;
    }
    try {
      int value = Integer.parseInt(raw);
      if (value > 0) {
        return value;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw invalid(model, key, "must be a positive integer, got '" + raw + "'");
  }

  private static Pooling pooling(BaseModel model) {
    String raw = model.property(POOLING, "mean").trim();
    try {
      Pooling pooling = Pooling.valueOf(raw.toUpperCase(Locale.ROOT));
      if (pooling != Pooling.DEFAULT) {
        return pooling;
      }
    } catch (IllegalArgumentException e) {
      // reported below
    }
    throw invalid(model, POOLING, "must be one of mean, cls, max, got '" + raw + "'");
  }

  private static GraftException invalid(BaseModel model, String key, String problem) {
    return GraftException.failedPrecondition(
        "INVALID_MODEL_PROPERTY",
        "model '" + model.name() + "': property '" + key + "' " + problem);
  }
}
