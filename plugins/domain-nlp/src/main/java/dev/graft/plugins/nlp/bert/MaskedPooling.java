package dev.graft.plugins.nlp.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import dev.graft.spi.Pooling;

/**
 * Differentiable pooling of token states {@code [batch, tokens, hidden]} to {@code [batch,
 * hidden]} under an attention mask {@code [batch, tokens]}: the masked mean, the first ([CLS])
 * token, or the masked maximum. Stateless and thread-safe; results belong to the inputs' manager.
 */
final class MaskedPooling {
  private static final float MASKED = -1e9f;

  private MaskedPooling() {}

  static NDArray pool(NDArray hidden, NDArray mask, Pooling pooling) {
    NDArray m = mask.toType(DataType.FLOAT32, false).expandDims(-1);
    return switch (pooling) {
      case MEAN -> hidden.mul(m).sum(new int[] {1}).div(m.sum(new int[] {1}).maximum(1f));
      case CLS -> hidden.get(new NDIndex(":, 0, :"));
      case MAX -> hidden.add(m.sub(1f).mul(-MASKED)).max(new int[] {1});
      case DEFAULT -> throw new IllegalArgumentException("resolve DEFAULT pooling first");
    };
  }
}
