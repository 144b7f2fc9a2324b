package dev.graft.plugins.finetuning;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A backbone block whose training-mode output turns NaN after {@code healthy} training forward
 * passes: a diverging job, with the optimizer's state already allocated. Inference passes are
 * left alone. Not thread-safe (one job's training thread).
 */
final class PoisonedBlock extends AbstractBlock {
  private final Block inner;
  private final int healthy;
  private final AtomicInteger trainingPasses = new AtomicInteger();

  PoisonedBlock(Block inner, int healthy) {
    this.inner = addChildBlock("inner", inner);
    this.healthy = healthy;
  }

  @Override
  protected NDList forwardInternal(
      ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
    NDList out = inner.forward(store, inputs, training, params);
    if (!training || trainingPasses.incrementAndGet() <= healthy) {
      return out;
    }
    return new NDList(out.head().mul(Float.NaN));
  }

  @Override
  public boolean isInitialized() {
    return inner.isInitialized();
  }

  @Override
  public Shape[] getOutputShapes(Shape[] inputShapes) {
    return inner.getOutputShapes(inputShapes);
  }
}
