package dev.graft.plugins.timeseries.encoder;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * A pre-LayerNorm Transformer encoder layer: {@code x + Attn(LN(x))}, then
 * {@code x + FF(LN(x))} with a GELU feed-forward. Multi-head self-attention without masking
 * (every token sees every other). Input and output {@code [batch, tokens, width]}. Written here
 * rather than taken from DJL because DJL's TransformerEncoderBlock normalises with BatchNorm,
 * whose running statistics cannot be trained, frozen and copied like weights.
 */
final class EncoderLayer extends AbstractBlock {
  private static final byte VERSION = 1;

  private final int width;
  private final int heads;
  private final LayerNorm norm1;
  private final Linear qkv;
  private final Linear out;
  private final LayerNorm norm2;
  private final Linear up;
  private final Linear down;

  EncoderLayer(int width, int heads, int hidden) {
    super(VERSION);
    this.width = width;
    this.heads = heads;
    norm1 = addChildBlock("norm1", LayerNorm.builder().build());
    qkv = addChildBlock("qkv", Linear.builder().setUnits(3L * width).build());
    out = addChildBlock("out", Linear.builder().setUnits(width).build());
    norm2 = addChildBlock("norm2", LayerNorm.builder().build());
    up = addChildBlock("up", Linear.builder().setUnits(hidden).build());
    down = addChildBlock("down", Linear.builder().setUnits(width).build());
  }

  @Override
  protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training,
      PairList<String, Object> params) {
    NDArray x = inputs.singletonOrThrow();
    long b = x.getShape().get(0);
    long t = x.getShape().get(1);
    long d = width / heads;
    NDArray h = norm1.forward(store, new NDList(x), training).singletonOrThrow();
    NDArray q3 = qkv.forward(store, new NDList(h), training).singletonOrThrow();
    // [b, t, 3, heads, d] → [3, b, heads, t, d]
    NDArray split = q3.reshape(b, t, 3, heads, d).transpose(2, 0, 3, 1, 4);
    NDArray q = split.get(0);
    NDArray k = split.get(1);
    NDArray v = split.get(2);
    // An array of the batch's manager, not div(float): DJL frees a scalar operand's buffer while
    // PyTorch still needs it for backward (a GC in between corrupts gradients).
    NDArray scores = q.matMul(k.transpose(0, 1, 3, 2)).div(q.getManager().create((float) Math.sqrt(d)));
    NDArray attn = scores.softmax(-1).matMul(v); // [b, heads, t, d]
    NDArray merged = attn.transpose(0, 2, 1, 3).reshape(b, t, width);
    x = x.add(out.forward(store, new NDList(merged), training).singletonOrThrow());
    NDArray g = norm2.forward(store, new NDList(x), training).singletonOrThrow();
    g = Activation.gelu(up.forward(store, new NDList(g), training).singletonOrThrow());
    x = x.add(down.forward(store, new NDList(g), training).singletonOrThrow());
    return new NDList(x);
  }

  @Override
  public Shape[] getOutputShapes(Shape[] inputShapes) {
    return new Shape[] {inputShapes[0]};
  }

  @Override
  protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
    Shape s = inputShapes[0];
    norm1.initialize(manager, dataType, s);
    qkv.initialize(manager, dataType, s);
    out.initialize(manager, dataType, s);
    norm2.initialize(manager, dataType, s);
    up.initialize(manager, dataType, s);
    down.initialize(manager, dataType, new Shape(s.get(0), s.get(1), up.getOutputShapes(new Shape[] {s})[0].get(2)));
  }
}
