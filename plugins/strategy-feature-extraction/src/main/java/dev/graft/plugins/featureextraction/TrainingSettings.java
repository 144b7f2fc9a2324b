package dev.graft.plugins.featureextraction;

import dev.graft.plugins.trainingkit.NonFiniteGuard;
import dev.graft.plugins.trainingkit.StrategyOptions;
import dev.graft.spi.GraftException;
import dev.graft.spi.Hyperparameters;
import java.util.Set;

/**
 * The generic training settings of a job with this strategy's defaults filled in. Immutable and
 * thread-safe.
 *
 * @param epochs the most epochs to train
 * @param batchSize examples per step
 * @param learningRate AdamW's learning rate
 * @param weightDecay AdamW's decoupled weight decay
 * @param patience epochs without a better validation loss before training stops
 * @param seed seeds the engine's generator (initial weights, dropout) and the shuffle
 * @param maxNonFiniteSteps non-finite steps in a row (each skipped) after which the job fails
 *     with {@code NON_FINITE_GRADIENTS}: {@code extra["max_non_finite_steps"]}, default
 *     {@value NonFiniteGuard#DEFAULT_MAX_STEPS}, from 1 to {@value NonFiniteGuard#MAX_MAX_STEPS}
 */
public record TrainingSettings(
    int epochs,
    int batchSize,
    float learningRate,
    float weightDecay,
    int patience,
    long seed,
    int maxNonFiniteSteps) {

  public static final int DEFAULT_EPOCHS = 100;
  public static final int DEFAULT_BATCH_SIZE = 32;
  public static final float DEFAULT_LEARNING_RATE = 1e-3f;
  public static final float DEFAULT_WEIGHT_DECAY = 1e-4f;
  public static final int DEFAULT_PATIENCE = 10;
  public static final long DEFAULT_SEED = 42L;

  /**
   * The settings a job asked for, defaults where it sent zero.
   *
   * @throws GraftException INVALID_ARGUMENT naming the field for a negative or non-finite value,
   *     or {@code hyperparameters.extra[max_non_finite_steps]} out of its range
   */
  public static TrainingSettings from(Hyperparameters h) {
    requireNonNegative("hyperparameters.epochs", h.epochs());
    requireNonNegative("hyperparameters.batch_size", h.batchSize());
    requireNonNegative("hyperparameters.learning_rate", h.learningRate());
    requireNonNegative("hyperparameters.weight_decay", h.weightDecay());
    requireNonNegative("hyperparameters.early_stopping_patience", h.earlyStoppingPatience());
    return new TrainingSettings(
        h.epochsOr(DEFAULT_EPOCHS),
        h.batchSizeOr(DEFAULT_BATCH_SIZE),
        h.learningRateOr(DEFAULT_LEARNING_RATE),
        h.weightDecayOr(DEFAULT_WEIGHT_DECAY),
        h.patienceOr(DEFAULT_PATIENCE),
        h.seedOr(DEFAULT_SEED),
        NonFiniteGuard.maxSteps(
            new StrategyOptions(h.extra(), Set.of(NonFiniteGuard.MAX_STEPS_KEY))));
  }

  private static void requireNonNegative(String field, double value) {
    if (!(value >= 0) || Double.isInfinite(value)) {
      throw GraftException.invalidArgument(
          field, "INVALID_HYPERPARAMETER", field + " must be a finite number >= 0, got " + value);
    }
  }
}
