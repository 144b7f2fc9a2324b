package dev.graft.plugins.nlp.bert;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.Map;

/**
 * One post-norm BERT transformer layer: multi-head self-attention (scaled dot product with an
 * additive mask), residual + LayerNorm, a GELU (erf) feed-forward, residual + LayerNorm, with
 * dropout on attention probabilities and sub-layer outputs while training. Input: hidden states
 * [batch, tokens, hidden] and the additive mask [batch, 1, 1, tokens]; output the new hidden
 * states. Stateless after construction: forward passes may run concurrently.
 */
final class BertLayer extends AbstractBlock {
  private final BertConfig config;
  private final Weights weights = new Weights();
  private final Parameter qw;
  private final Parameter qb;
  private final Parameter kw;
  private final Parameter kb;
  private final Parameter vw;
  private final Parameter vb;
  private final Parameter ow;
  private final Parameter ob;
  private final Parameter attentionGamma;
  private final Parameter attentionBeta;
  private final Parameter iw;
  private final Parameter ib;
  private final Parameter fw;
  private final Parameter fb;
  private final Parameter outputGamma;
  private final Parameter outputBeta;

  BertLayer(BertConfig config) {
    this.config = config;
    int h = config.hidden();
    int i = config.intermediate();
    qw = dense("attention.self.query.weight", h, h);
    qb = bias("attention.self.query.bias", h);
    kw = dense("attention.self.key.weight", h, h);
    kb = bias("attention.self.key.bias", h);
    vw = dense("attention.self.value.weight", h, h);
    vb = bias("attention.self.value.bias", h);
    ow = dense("attention.output.dense.weight", h, h);
    ob = bias("attention.output.dense.bias", h);
    attentionGamma = norm("attention.output.LayerNorm.weight", Parameter.Type.GAMMA, h);
    attentionBeta = norm("attention.output.LayerNorm.bias", Parameter.Type.BETA, h);
    iw = dense("intermediate.dense.weight", i, h);
    ib = bias("intermediate.dense.bias", i);
    fw = dense("output.dense.weight", h, i);
    fb = bias("output.dense.bias", h);
    outputGamma = norm("output.LayerNorm.weight", Parameter.Type.GAMMA, h);
    outputBeta = norm("output.LayerNorm.bias", Parameter.Type.BETA, h);
  }

  /** Parameters by their name under {@code encoder.layer.N.}. */
  Map<String, Parameter> named() {
    return weights.byName();
  }

  @Override
  protected NDList forwardInternal(
      ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
    NDArray x = inputs.get(0);
    NDArray maskBias = inputs.get(1);
    Device device = x.getDevice();
    Shape shape = x.getShape();
    long batch = shape.get(0);
    long tokens = shape.get(1);
    int heads = config.heads();
    int size = config.headSize();

    NDArray q = heads(linear(x, qw, qb, store, training), batch, tokens).transpose(0, 2, 1, 3);
    NDArray k = heads(linear(x, kw, kb, store, training), batch, tokens).transpose(0, 2, 3, 1);
    NDArray v = heads(linear(x, vw, vb, store, training), batch, tokens).transpose(0, 2, 1, 3);
    // The scale is an array of the batch's manager, not div(float): DJL frees a scalar operand's
    // buffer at once while PyTorch keeps it for backward, so a GC in between corrupts gradients.
    NDArray scores = q.matMul(k).div(q.getManager().create((float) Math.sqrt(size))).add(maskBias);
    NDArray probabilities = dropout(scores.softmax(-1), training);
    NDArray context = probabilities.matMul(v).transpose(0, 2, 1, 3)
        .reshape(batch, tokens, (long) heads * size);
    NDArray attended = dropout(linear(context, ow, ob, store, training), training);
    NDArray h1 = norm(attended.add(x), attentionGamma, attentionBeta, store, device, training);
    NDArray inner = Activation.gelu(linear(h1, iw, ib, store, training));
    NDArray out = dropout(linear(inner, fw, fb, store, training), training);
    return new NDList(norm(out.add(h1), outputGamma, outputBeta, store, device, training));
  }

  private NDArray heads(NDArray x, long batch, long tokens) {
    return x.reshape(batch, tokens, config.heads(), config.headSize());
  }

  private static NDArray linear(
      NDArray x, Parameter w, Parameter b, ParameterStore store, boolean training) {
    Device device = x.getDevice();
    return Linear.linear(x, store.getValue(w, device, training), store.getValue(b, device, training))
        .singletonOrThrow();
  }

  private NDArray norm(NDArray x, Parameter gamma, Parameter beta, ParameterStore store,
      Device device, boolean training) {
    return LayerNorm.layerNorm(x, new Shape(config.hidden()), store.getValue(gamma, device, training),
        store.getValue(beta, device, training), config.layerNormEps()).singletonOrThrow();
  }

  private static NDArray dropout(NDArray x, boolean training) {
    return training ? Dropout.dropout(x, BertConfig.DROPOUT, true).singletonOrThrow() : x;
  }

  private Parameter dense(String name, long out, long in) {
    return addParameter(weights.declare(name, Parameter.Type.WEIGHT, out, in));
  }

  private Parameter bias(String name, long size) {
    return addParameter(weights.declare(name, Parameter.Type.BIAS, size));
  }

  private Parameter norm(String name, Parameter.Type type, long size) {
    return addParameter(weights.declare(name, type, size));
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
    return new Shape[] {inputShapes[0]};
  }
}
