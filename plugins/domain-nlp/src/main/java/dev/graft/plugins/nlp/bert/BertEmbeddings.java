package dev.graft.plugins.nlp.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.norm.Dropout;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.Map;

/**
 * BERT's embedding layer: word + position (+ token type) embeddings, LayerNorm, dropout.
 * Input: {@code input_ids} and {@code token_type_ids} [batch, tokens] (int64); output the
 * embedded tokens [batch, tokens, hidden]. Stateless after construction: forward passes may run
 * concurrently.
 */
final class BertEmbeddings extends AbstractBlock {
  private final BertConfig config;
  private final Weights weights = new Weights();
  private final Parameter words;
  private final Parameter positions;
  private final Parameter types;
  private final Parameter gamma;
  private final Parameter beta;

  BertEmbeddings(BertConfig config) {
    this.config = config;
    words = addParameter(weights.declare("word_embeddings.weight", Parameter.Type.WEIGHT,
        config.vocabSize(), config.hidden()));
    positions = addParameter(weights.declare("position_embeddings.weight", Parameter.Type.WEIGHT,
        config.maxPositions(), config.hidden()));
    types = config.typeVocabSize() == 0 ? null : addParameter(weights.declare(
        "token_type_embeddings.weight", Parameter.Type.WEIGHT, config.typeVocabSize(),
        config.hidden()));
    gamma = addParameter(weights.declare("LayerNorm.weight", Parameter.Type.GAMMA, config.hidden()));
    beta = addParameter(weights.declare("LayerNorm.bias", Parameter.Type.BETA, config.hidden()));
  }

  /** Parameters by their name under {@code embeddings.}. */
  Map<String, Parameter> named() {
    return weights.byName();
  }

  @Override
  protected NDList forwardInternal(
      ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
    NDArray ids = inputs.get(0);
    NDArray typeIds = inputs.get(1);
    long length = ids.getShape().get(1);
    var device = ids.getDevice();
    NDArray x = lookup(ids, store.getValue(words, device, training));
    NDArray positionIds = ids.getManager().arange(0, (int) length, 1, DataType.INT64);
    x = x.add(lookup(positionIds, store.getValue(positions, device, training)));
    if (types != null) {
      x = x.add(lookup(typeIds, store.getValue(types, device, training)));
    }
    x = LayerNorm.layerNorm(x, new Shape(config.hidden()), store.getValue(gamma, device, training),
        store.getValue(beta, device, training), config.layerNormEps()).singletonOrThrow();
    return new NDList(Dropout.dropout(x, BertConfig.DROPOUT, training).singletonOrThrow());
  }

  private static NDArray lookup(NDArray ids, NDArray table) {
    return Embedding.embedding(ids, table, SparseFormat.DENSE).singletonOrThrow();
  }

  /** Initialised once every parameter has its array (set from pretrained weights, not shapes). */
  @Override
  public boolean isInitialized() {
    for (Parameter p : getParameters().values()) {
      if (!p.isInitialized()) {
        return false;
      }
    }
    return true;
  }

  @Override
  public Shape[] getOutputShapes(Shape[] inputShapes) {
    return new Shape[] {inputShapes[0].add(config.hidden())};
  }
}
