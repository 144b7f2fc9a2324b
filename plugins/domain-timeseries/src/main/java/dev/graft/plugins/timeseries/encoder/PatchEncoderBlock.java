package dev.graft.plugins.timeseries.encoder;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.NormalInitializer;
import ai.djl.util.PairList;
import dev.graft.spi.ParameterGroup;
import java.util.ArrayList;
import java.util.List;

/**
 * A patch Transformer over one scaled series channel per row: the context is cut into patches,
 * each patch becomes a token (a linear map plus a learned position), Transformer layers mix the
 * tokens (pre-LayerNorm, see {@link EncoderLayer}), and a final LayerNorm precedes pooling (token mean and last token, side by side).
 *
 * <p>Input: {@code NDList(values [rows, context], weights [batch, rows])}; the output
 * {@code [batch, 2 × width]} is {@code weights × pooled rows}, so one input's channels (its rows)
 * are averaged. Not thread-safe while training; see {@link SeriesEncoder}.
 */
public final class PatchEncoderBlock extends AbstractBlock {
  private static final byte VERSION = 1;

  private final EncoderConfig config;
  private final Linear patchEmbedding;
  private final Parameter position;
  private final List<EncoderLayer> layers = new ArrayList<>();
  private final LayerNorm norm;

  /** An uninitialised block of {@code config}'s shape. */
  public PatchEncoderBlock(EncoderConfig config) {
    super(VERSION);
    this.config = config;
    patchEmbedding = addChildBlock("patch", Linear.builder().setUnits(config.width()).build());
    position = addParameter(Parameter.builder()
        .setName("position")
        .setType(Parameter.Type.WEIGHT)
        .optShape(new Shape(config.patches(), config.width()))
        .optInitializer(new NormalInitializer(0.02f))
        .build());
    for (int i = 0; i < config.layers(); i++) {
      layers.add(addChildBlock("layer" + i,
          new EncoderLayer(config.width(), config.heads(), config.hidden())));
    }
    norm = addChildBlock("norm", LayerNorm.builder().build());
  }

  public EncoderConfig config() {
    return config;
  }

  /** Parameter groups, bottom first: embedding, encoder.0 … encoder.(n-1), norm. */
  public List<ParameterGroup> groups() {
    List<ParameterGroup> groups = new ArrayList<>();
    List<Parameter> embedding = new ArrayList<>(patchEmbedding.getParameters().values());
    embedding.add(position);
    groups.add(new ParameterGroup("embedding", embedding));
    for (int i = 0; i < layers.size(); i++) {
      groups.add(new ParameterGroup("encoder." + i, params(layers.get(i))));
    }
    groups.add(new ParameterGroup("norm", params(norm)));
    return groups;
  }

  private static List<Parameter> params(Block block) {
    return new ArrayList<>(block.getParameters().values());
  }

  @Override
  protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training,
      PairList<String, Object> params) {
    NDArray values = inputs.get(0);
    NDArray weights = inputs.get(1);
    long rows = values.getShape().get(0);
    NDArray patches = values.reshape(rows, config.patches(), config.patch());
    NDArray h = patchEmbedding.forward(store, new NDList(patches), training).singletonOrThrow();
    h = h.add(store.getValue(position, h.getDevice(), training));
    for (EncoderLayer layer : layers) {
      h = layer.forward(store, new NDList(h), training).singletonOrThrow();
    }
    h = norm.forward(store, new NDList(h), training).singletonOrThrow();
    NDArray mean = h.mean(new int[] {1});
    NDArray last = h.get(new NDIndex(":, -1, :"));
    NDArray pooled = mean.concat(last, 1);
    return new NDList(weights.matMul(pooled));
  }

  @Override
  public Shape[] getOutputShapes(Shape[] inputShapes) {
    return new Shape[] {new Shape(inputShapes[1].get(0), config.dimension())};
  }

  @Override
  protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
    long rows = inputShapes[0].get(0);
    patchEmbedding.initialize(manager, dataType, new Shape(rows, config.patches(), config.patch()));
    Shape tokens = new Shape(rows, config.patches(), config.width());
    for (EncoderLayer layer : layers) {
      layer.initialize(manager, dataType, tokens);
    }
    norm.initialize(manager, dataType, tokens);
  }
}
