package dev.graft.plugins.nlp.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.Initializer;
import ai.djl.util.PairList;
import dev.graft.spi.ParameterGroup;
import dev.graft.spi.Pooling;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A BERT encoder as a DJL block: embeddings and the first {@code depth} transformer layers,
 * optionally pooled. Input: {@code input_ids}, {@code token_type_ids}, {@code attention_mask}
 * [batch, tokens] (int64). Output: the hidden states of layer {@code depth - 1}
 * [batch, tokens, hidden], or with a pooling their pooled vectors [batch, hidden].
 *
 * <p>Parameters are grouped {@code embeddings}, {@code encoder.0} … {@code encoder.depth-1}.
 * Thread-safety: the block keeps no state between calls; inference-mode forward passes may run
 * concurrently. Ownership: {@link #initialize(NDManager, BertWeights)} creates the parameter
 * arrays in the given manager, whose owner frees them.
 */
public final class BertBlock extends AbstractBlock {
  private static final float MASK_BIAS = -Float.MAX_VALUE;

  private final BertConfig config;
  private final Pooling pooling;
  private final BertEmbeddings embeddings;
  private final List<BertLayer> layers = new ArrayList<>();

  /**
   * @param depth how many transformer layers to run (1 … {@code config.layers()})
   * @param pooling how to pool the last layer's states, or null to return them unpooled
   */
  public BertBlock(BertConfig config, int depth, Pooling pooling) {
    if (depth < 1 || depth > config.layers()) {
      throw new IllegalArgumentException("depth " + depth + " of " + config.layers() + " layers");
    }
    if (pooling == Pooling.DEFAULT) {
      throw new IllegalArgumentException("resolve DEFAULT pooling first");
    }
    this.config = config;
    this.pooling = pooling;
    this.embeddings = addChildBlock("embeddings", new BertEmbeddings(config));
    for (int l = 0; l < depth; l++) {
      layers.add(addChildBlock("encoder_" + l, new BertLayer(config)));
    }
  }

  public BertConfig config() {
    return config;
  }

  /** The number of transformer layers this block runs. */
  public int depth() {
    return layers.size();
  }

  /**
   * Creates every parameter in {@code manager} with its pretrained value. Parameters require
   * gradients; freeze them for inference-only use.
   *
   * @throws IllegalArgumentException when {@code weights} do not fit this block
   */
  public void initialize(NDManager manager, BertWeights weights) {
    if (!weights.config().equals(config)) {
      throw new IllegalArgumentException("weights of " + weights.config() + " for " + config);
    }
    load(manager, "embeddings.", embeddings.named(), weights);
    for (int l = 0; l < layers.size(); l++) {
      load(manager, "encoder.layer." + l + ".", layers.get(l).named(), weights);
    }
  }

  private static void load(
      NDManager manager, String prefix, Map<String, Parameter> named, BertWeights weights) {
    for (Map.Entry<String, Parameter> e : named.entrySet()) {
      float[] values = weights.get(prefix + e.getKey());
      Parameter p = e.getValue();
      if (values.length != p.getShape().size()) {
        throw new IllegalArgumentException(prefix + e.getKey() + " has " + values.length
            + " values for shape " + p.getShape());
      }
      // The array owns native memory (a copy, not a view of a Java buffer), and the initializer
      // is dropped afterwards so the pretrained float[] can be collected.
      p.setInitializer((m, shape, type) -> {
        try (NDArray view = m.create(values, shape)) {
          return view.duplicate();
        }
      });
      p.initialize(manager, DataType.FLOAT32);
      p.setInitializer(Initializer.ZEROS);
    }
  }

  /** The parameter groups, bottom first: embeddings, then each layer. */
  public List<ParameterGroup> groups() {
    List<ParameterGroup> groups = new ArrayList<>();
    groups.add(new ParameterGroup("embeddings", List.copyOf(embeddings.named().values())));
    for (int l = 0; l < layers.size(); l++) {
      groups.add(new ParameterGroup("encoder." + l, List.copyOf(layers.get(l).named().values())));
    }
    return groups;
  }

  @Override
  protected NDList forwardInternal(
      ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
    NDArray hidden = hiddenStates(store, inputs, layers.size(), training);
    if (pooling == null) {
      return new NDList(hidden);
    }
    return new NDList(MaskedPooling.pool(hidden, inputs.get(2), pooling));
  }

  /**
   * The unpooled states after the first {@code count} layers (0: the embeddings), for the same
   * inputs as {@link #forward}.
   */
  public NDArray hiddenStates(ParameterStore store, NDList inputs, int count, boolean training) {
    if (count < 0 || count > layers.size()) {
      throw new IllegalArgumentException(count + " of " + layers.size() + " layers");
    }
    NDArray ids = inputs.get(0);
    NDArray typeIds = inputs.get(1);
    NDArray mask = inputs.get(2);
    Shape shape = ids.getShape();
    NDArray maskBias = mask.toType(DataType.FLOAT32, false).neg().add(1f).mul(MASK_BIAS)
        .reshape(shape.get(0), 1, 1, shape.get(1));
    NDArray hidden = embeddings.forward(store, new NDList(ids, typeIds), training)
        .singletonOrThrow();
    for (int l = 0; l < count; l++) {
      hidden = layers.get(l).forward(store, new NDList(hidden, maskBias), training)
          .singletonOrThrow();
    }
    return hidden;
  }

  /**
   * Nothing to do: the parameters get their arrays from pretrained weights in
   * {@link #initialize(NDManager, BertWeights)}, so a container (a SequentialBlock with a head)
   * that initialises its children leaves them as they are.
   */
  @Override
  protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
    if (!isInitialized()) {
      throw new IllegalStateException("a BertBlock is initialised from pretrained weights");
    }
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
    Shape in = inputShapes[0];
    return new Shape[] {
        pooling == null ? in.add(config.hidden()) : new Shape(in.get(0), config.hidden())};
  }
}
