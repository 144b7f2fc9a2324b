package dev.graft.plugins.nlp.bert;

/**
 * The shape of a BERT-family encoder. Immutable.
 *
 * @param vocabSize rows of the word embedding table
 * @param hidden the hidden size
 * @param layers the number of transformer layers
 * @param heads attention heads per layer ({@code hidden} is a multiple of it)
 * @param intermediate the feed-forward width
 * @param maxPositions rows of the position embedding table
 * @param typeVocabSize rows of the token-type table (0: the model has none)
 * @param layerNormEps the epsilon of every LayerNorm
 * @param pooler whether the model has a pooler (dense + tanh over the [CLS] state)
 */
public record BertConfig(
    int vocabSize,
    int hidden,
    int layers,
    int heads,
    int intermediate,
    int maxPositions,
    int typeVocabSize,
    float layerNormEps,
    boolean pooler) {

  /** Dropout on hidden states and attention probabilities while training (BERT's default). */
  public static final float DROPOUT = 0.1f;

  public BertConfig {
    if (hidden <= 0 || layers <= 0 || heads <= 0 || hidden % heads != 0) {
      throw new IllegalArgumentException(
          "bad BERT shape: hidden " + hidden + ", layers " + layers + ", heads " + heads);
    }
  }

  /** The width of one attention head. */
  public int headSize() {
    return hidden / heads;
  }
}
