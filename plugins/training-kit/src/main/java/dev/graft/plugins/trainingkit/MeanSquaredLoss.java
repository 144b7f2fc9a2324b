package dev.graft.plugins.trainingkit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.loss.Loss;

/**
 * Mean squared error, {@code mean((target − prediction)²)}: the values of DJL's
 * {@code L2Loss("loss", 1)} without its {@code mul(weight)}.
 *
 * <p>Why not DJL's: on the PyTorch engine {@code NDArray.mul(Number)} (and {@code div},
 * {@code minimum}, … with a number) makes the number a tensor over a Java direct buffer, closes
 * it right after the operation, and autograd keeps that tensor for the backward pass; a GC
 * between the forward and the backward pass frees the buffer, and the gradient is computed from
 * whatever memory is there then — wrong, often NaN or ±1e29 (reproduced 50 times out of 50 with
 * a GC between the passes). So a regression job's gradients were garbage whenever a GC fell
 * inside a step, which busy servers make likely. This loss uses tensor operations only.
 *
 * <p>Stateless and thread-safe.
 */
public final class MeanSquaredLoss extends Loss {

  public MeanSquaredLoss() {
    super("loss");
  }

  @Override
  public NDArray evaluate(NDList labels, NDList predictions) {
    NDArray prediction = predictions.singletonOrThrow();
    NDArray target = labels.singletonOrThrow().reshape(prediction.getShape());
    return target.sub(prediction).square().mean();
  }
}
