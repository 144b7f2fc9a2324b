package dev.graft.plugins.featureextraction;

import dev.graft.spi.GraftException;
import dev.graft.spi.Hyperparameters;

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
 */
public record TrainingSettings(
    int epochs, int batchSize, float learningRate, float weightDecay, int patience, long seed) {

  public static final int DEFAULT_EPOCHS = 100;
  public static final int DEFAULT_BATCH_SIZE = 32;
  public static final float DEFAULT_LEARNING_RATE = 1e-3f;
  public static final float DEFAULT_WEIGHT_DECAY = 1e-4f;
  public static final int DEFAULT_PATIENCE = 10;
  public static final long DEFAULT_SEED = 42L;

  /**
   * The settings a job asked for, defaults where it sent zero.
   *
   * @throws GraftException INVALID_ARGUMENT naming the field for a negative or non-finite value
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
        h.seedOr(DEFAULT_SEED));
  }

  private static void requireNonNegative(String field, double value) {
    if (!(value >= 0) || Double.isInfinite(value)) {
      throw GraftException.invalidArgument(
          field, "INVALID_HYPERPARAMETER", field + " must be a finite number >= 0, got " + value);
    }
  }
}
