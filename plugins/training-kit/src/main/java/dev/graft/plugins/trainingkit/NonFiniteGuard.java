package dev.graft.plugins.trainingkit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.Parameter;
import dev.graft.spi.GraftException;
import dev.graft.spi.ProgressListener;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Decides what happens after a step whose loss or gradient is not finite. Such a step never
 * reaches the optimizer (its gradients are zeroed instead, so no weight becomes NaN and no
 * gradient carries into the next step), and is counted and reported; a run of
 * {@code maxConsecutive} such steps means the training diverged (a learning rate too high,
 * inputs out of range) and fails the job with {@code NON_FINITE_GRADIENTS}, naming the first
 * parameter whose weight or gradient was not finite. (Batch-norm running statistics that a
 * training-mode forward pass updated are not rolled back; they are only updated by backbones
 * that train their batch norms.)
 *
 * <p>{@code maxConsecutive} is the strategy option {@value #MAX_STEPS_KEY}
 * ({@code hyperparameters.extra}, default {@value #DEFAULT_MAX_STEPS}, from 1 to
 * {@value #MAX_MAX_STEPS}; read with {@link #maxSteps}).
 *
 * <p>Why skip rather than fail at once: a backward pass can return a non-finite gradient for a
 * finite loss and finite weights, and the next batch is fine. The cause found: on DJL's PyTorch
 * engine an operation with a number operand ({@code x.div(8f)}, {@code mul}, {@code minimum}, …)
 * makes the number a tensor over a Java direct buffer and closes it at once, while autograd keeps
 * it for the backward pass; a GC in between frees the buffer and the gradient is computed from
 * reused memory (see {@link MeanSquaredLoss}). The more GC — a busy server — the more such
 * steps. The kit's own losses avoid number operands; backbones that use them in their forward
 * pass still expose jobs to it. Not thread-safe: one per training loop.
 */
public final class NonFiniteGuard {
  /** The {@code extra} key of the number of non-finite steps in a row that fails a job. */
  public static final String MAX_STEPS_KEY = "max_non_finite_steps";
  /** Non-finite steps in a row after which a job fails, unless the job says otherwise. */
  public static final int DEFAULT_MAX_STEPS = 3;
  /** The largest {@value #MAX_STEPS_KEY} accepted. */
  public static final int MAX_MAX_STEPS = 1000;
  /** The reason a job fails with after too many non-finite steps in a row. */
  public static final String REASON = "NON_FINITE_GRADIENTS";

  private final int maxConsecutive;
  private final ProgressListener progress;
  private final Supplier<String> culprit;
  private int consecutive;
  private long skipped;

  /**
   * @param culprit names the first non-finite weight or gradient of the last bad step (for the
   *     failure message, see {@link #culprit}), or returns ""
   */
  public NonFiniteGuard(int maxConsecutive, ProgressListener progress, Supplier<String> culprit) {
    if (maxConsecutive < 1) {
      throw new IllegalArgumentException("maxConsecutive " + maxConsecutive);
    }
    this.maxConsecutive = maxConsecutive;
    this.progress = progress;
    this.culprit = culprit;
  }

  /**
   * The job's {@value #MAX_STEPS_KEY}, or {@value #DEFAULT_MAX_STEPS} when absent.
   *
   * @throws GraftException INVALID_ARGUMENT naming {@code hyperparameters.extra[max_non_finite_steps]}
   *     for a value that is not an integer from 1 to {@value #MAX_MAX_STEPS}
   */
  public static int maxSteps(StrategyOptions options) {
    return options.integer(MAX_STEPS_KEY, DEFAULT_MAX_STEPS, 1, MAX_MAX_STEPS);
  }

  /**
   * Whether the step's loss counts (it is finite and the step updated the weights).
   *
   * @param loss the step's loss, NaN when its gradient was not finite
   * @throws GraftException FAILED_PRECONDITION {@value #REASON} after {@code maxConsecutive}
   *     non-finite steps in a row
   */
  public boolean accept(float loss, long step) {
    if (Float.isFinite(loss)) {
      consecutive = 0;
      return true;
    }
    consecutive++;
    skipped++;
    if (consecutive >= maxConsecutive) {
      throw GraftException.failedPrecondition(REASON, "the training loss or gradient was not"
          + " finite for " + consecutive + " steps in a row (up to step " + step + "; "
          + skipped + " skipped in all)" + culprit.get() + "; try a lower"
          + " hyperparameters.learning_rate, or allow more with hyperparameters.extra["
          + MAX_STEPS_KEY + "]");
    }
    progress.onMessage("step " + step + " skipped: its loss or gradient was not finite ("
        + skipped + " skipped so far)");
    return false;
  }

  /** Steps skipped so far. */
  public long skipped() {
    return skipped;
  }

  /**
   * "; first non-finite weight: NAME" or "; first non-finite gradient: NAME" for the first of
   * {@code named} (name → parameter, in order) whose weight, or else whose gradient, is not
   * finite; "" when all are. Read it before the gradients are zeroed; frees its temporaries.
   */
  public static String culprit(List<Map.Entry<String, Parameter>> named) {
    for (Map.Entry<String, Parameter> e : named) {
      if (!finite(e.getValue().getArray())) {
        return "; first non-finite weight: " + e.getKey();
      }
    }
    for (Map.Entry<String, Parameter> e : named) {
      Parameter p = e.getValue();
      if (p.requiresGradient()) {
        try (NDArray grad = p.getArray().getGradient()) {
          if (!finite(grad)) {
            return "; first non-finite gradient: " + e.getKey();
          }
        }
      }
    }
    return "";
  }

  /** Whether every value of {@code array} is finite. */
  public static boolean finite(NDArray array) {
    try (NDArray abs = array.abs(); NDArray sum = abs.sum()) {
      return Float.isFinite(sum.getFloat());
    }
  }

  /**
   * Sets the gradients of the trainable parameters to zero in place (multiplying would keep
   * NaN), so that an optimizer that accumulates or a later step does not see them.
   */
  public static void zeroGradients(List<Parameter> parameters) {
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
