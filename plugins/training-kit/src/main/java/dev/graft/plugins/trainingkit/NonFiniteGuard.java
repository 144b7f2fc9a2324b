package dev.graft.plugins.trainingkit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.Parameter;
import dev.graft.spi.GraftException;
import dev.graft.spi.ProgressListener;
import java.util.List;
import java.util.function.Supplier;

/**
 * Decides what happens after a step whose loss or gradient is not finite. Such a step never
 * reaches the optimizer (its gradients are zeroed instead, so no weight becomes NaN and no
 * gradient carries into the next step), and is reported; a run of {@code maxConsecutive} such
 * steps means the training diverged (a learning rate too high, inputs out of range) and fails
 * the job. (Batch-norm running statistics that a training-mode forward pass updated are not
 * rolled back; they are only updated by backbones that train their batch norms.)
 *
 * <p>Why skip rather than fail at once: the PyTorch engine occasionally (about once in a few
 * thousand backward passes, seen on CPU) returns a non-finite gradient for a finite loss and
 * finite weights; the next batch is fine. Not thread-safe: one per training loop.
 */
final class NonFiniteGuard {
  /** Non-finite steps in a row after which a job fails as diverged. */
  static final int MAX_CONSECUTIVE = 3;

  private final int maxConsecutive;
  private final ProgressListener progress;
  private final Supplier<String> culprit;
  private int consecutive;
  private long skipped;

  /**
   * @param culprit names the first non-finite weight or gradient of the last bad step (for the
   *     failure message), or returns ""
   */
  NonFiniteGuard(int maxConsecutive, ProgressListener progress, Supplier<String> culprit) {
    this.maxConsecutive = maxConsecutive;
    this.progress = progress;
    this.culprit = culprit;
  }

  /**
   * Whether the step's loss counts (it is finite and the step updated the weights).
   *
   * @param loss the step's loss, NaN when its gradient was not finite
   * @throws GraftException FAILED_PRECONDITION {@code TRAINING_DIVERGED} after
   *     {@code maxConsecutive} non-finite steps in a row
   */
  boolean accept(float loss, long step) {
    if (Float.isFinite(loss)) {
      consecutive = 0;
      return true;
    }
    consecutive++;
    skipped++;
    if (consecutive >= maxConsecutive) {
      throw GraftException.failedPrecondition("TRAINING_DIVERGED", "the training loss or"
          + " gradient was not finite for " + consecutive + " steps in a row (up to step " + step
          + ")" + culprit.get() + "; try a lower hyperparameters.learning_rate");
    }
    progress.onMessage("step " + step + " skipped: its loss or gradient was not finite ("
        + skipped + " skipped so far)");
    return false;
  }

  /** Steps skipped so far. */
  long skipped() {
    return skipped;
  }

  /**
   * Sets the gradients of the trainable parameters to zero in place (multiplying would keep
   * NaN), so that an optimizer that accumulates or a later step does not see them.
   */
  static void zeroGradients(List<Parameter> parameters) {
    for (Parameter p : parameters) {
      if (!p.requiresGradient()) {
        continue;
      }
      try (NDArray grad = p.getArray().getGradient()) {
        grad.set(new NDIndex("..."), 0f);
      }
    }
  }
}
