package dev.graft.spi;

/**
 * A way to transfer a base model to a new task (feature extraction, fine-tuning, ...).
 *
 * <p>Thread-safety: one instance serves all jobs; {@link #train} runs concurrently for different
 * jobs, each with its own context. Lifecycle: created once through {@link java.util.ServiceLoader}.
 */
public interface StrategyPlugin extends Plugin {

  /**
   * Checks the hyperparameters before a job is queued, so a bad value is refused at once.
   *
   * @throws GraftException INVALID_ARGUMENT naming the field ("hyperparameters.extra[unfreeze]")
   */
  default void validate(Hyperparameters hyperparameters, TaskSpec task) {}

  /**
   * Trains on the context's device, writing the model's files into
   * {@link TrainContext#outputDirectory()}. Returns when done; checks
   * {@link TrainContext#cancellation()} at least once per step.
   *
   * @throws GraftException CANCELLED when cancelled; FAILED_PRECONDITION or UNIMPLEMENTED when
   *     this strategy cannot train on the given backbone or task, with the reason
   */
  TrainOutcome train(TrainContext context);

  /** Loads a model this strategy trained, for {@code Predict}. The caller closes the result. */
  TrainedModel load(LoadContext context);
}
