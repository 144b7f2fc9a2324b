package dev.graft.plugins.trainingkit;

import dev.graft.plugins.trainingkit.scoring.SeriesTargets;
import dev.graft.spi.BaseModel;
import dev.graft.spi.GraftException;
import dev.graft.spi.Hyperparameters;
import java.util.Locale;
import java.util.Set;

/**
 * The settings of a job that trains a backbone, the strategy's defaults filled in. Immutable.
 *
 * @param epochs the most epochs to train (counting epochs of a resumed job)
 * @param batchSize examples per step
 * @param learningRate the peak learning rate (of the head and of groups with scale 1)
 * @param weightDecay AdamW's decoupled weight decay
 * @param patience epochs without a better validation score before training stops
 * @param seed seeds the head's initial weights, dropout and the shuffles
 * @param warmup the fraction of all steps over which the learning rate rises linearly from 0
 * @param schedule how the learning rate falls after the warm-up
 * @param clipNorm the largest global L2 norm of the gradients (0: no clipping)
 * @param headDropout dropout before the task head
 * @param headScale the head's learning rate as a multiple of {@code learningRate}
 * @param linearProbe whether the head first fits the frozen backbone's features
 *     ({@link LinearProbe}) before the backbone trains
 * @param maxNonFiniteSteps non-finite steps in a row (each skipped) after which the job fails
 *     with {@code NON_FINITE_GRADIENTS} ({@link NonFiniteGuard})
 */
public record TransferSettings(
    int epochs,
    int batchSize,
    float learningRate,
    float weightDecay,
    int patience,
    long seed,
    float warmup,
    Schedule schedule,
    float clipNorm,
    float headDropout,
    float headScale,
    boolean linearProbe,
    int maxNonFiniteSteps) {

  /** The learning-rate decay after the warm-up. */
  public enum Schedule {
    LINEAR,
    COSINE,
    CONSTANT
  }

  public static final String WARMUP = "warmup";
  public static final String SCHEDULE = "schedule";
  public static final String CLIP_NORM = "clip_norm";
  public static final String HEAD_DROPOUT = "head_dropout";
  public static final String HEAD_LR_SCALE = "head_lr_scale";
  public static final String RESUME_FROM = "resume_from";
  public static final String LINEAR_PROBE = "linear_probe";
  /** The {@code extra} keys read here (every strategy built on the kit owns them). */
  public static final Set<String> KEYS = Set.of(WARMUP, SCHEDULE, CLIP_NORM, HEAD_DROPOUT,
      HEAD_LR_SCALE, RESUME_FROM, LINEAR_PROBE, NonFiniteGuard.MAX_STEPS_KEY,
      SeriesTargets.SEASON_LENGTH);

  public static final long DEFAULT_SEED = 42L;
  public static final int MAX_EPOCHS = 100_000;
  public static final int MAX_BATCH_SIZE = 1024;

  /** A strategy's defaults for the settings a job leaves at zero or absent. */
  public record Defaults(
      int epochs,
      int batchSize,
      float learningRate,
      float weightDecay,
      int patience,
      float warmup,
      Schedule schedule,
      float clipNorm,
      float headDropout,
      float headScale,
      boolean linearProbe) {

    /**
     * These defaults with those a base model recommends for {@code strategy} in its properties:
     * {@code <strategy>.epochs}, {@code .batch_size}, {@code .learning_rate},
     * {@code .weight_decay}, {@code .early_stopping_patience} (e.g.
     * {@code fine-tuning.learning_rate=0.001} on a CNN, whose fine-tuning wants a higher rate than
     * a BERT encoder's). A job's own hyperparameters still win.
     *
     * @throws GraftException FAILED_PRECONDITION {@code BAD_MODEL_PROPERTIES} for a value that is
     *     no number or out of its range (the job's own fields have the same ranges)
     */
    public Defaults recommendedBy(BaseModel base, String strategy) {
      Recommended r = new Recommended(base, strategy);
      return new Defaults(
          (int) r.value("epochs", epochs, 1, MAX_EPOCHS, true),
          (int) r.value("batch_size", batchSize, 1, MAX_BATCH_SIZE, true),
          (float) r.value("learning_rate", learningRate, 1e-12, 1, false),
          (float) r.value("weight_decay", weightDecay, 0, 1, false),
          (int) r.value("early_stopping_patience", patience, 0, MAX_EPOCHS, true),
          warmup, schedule, clipNorm, headDropout, headScale, linearProbe);
    }
  }

  /** A base model's recommended values for one strategy, each checked against its range. */
  private record Recommended(BaseModel base, String strategy) {
    double value(String field, double fallback, double min, double max, boolean whole) {
      String key = strategy + "." + field;
      String raw = base.properties().get(key);
      if (raw == null) {
        return fallback;
      }
      try {
        double v = Double.parseDouble(raw.strip());
        if (v >= min && v <= max && (!whole || v == Math.rint(v))) {
          return v;
        }
      } catch (NumberFormatException e) {
        // reported below
      }
      throw GraftException.failedPrecondition("BAD_MODEL_PROPERTIES", "base model "
          + base.name() + " recommends " + key + "=" + raw + ", which is not a "
          + (whole ? "whole number" : "number") + " in [" + min + ", " + max + "]");
    }
  }

  /**
   * The settings a job asked for.
   *
   * @throws GraftException INVALID_ARGUMENT naming the field of a bad value
   */
  public static TransferSettings from(Hyperparameters h, StrategyOptions o, Defaults d) {
    int epochs = h.epochsOr(d.epochs());
    int batch = h.batchSizeOr(d.batchSize());
    if (epochs < 1 || epochs > MAX_EPOCHS) {
      throw GraftException.invalidArgument("hyperparameters.epochs", "INVALID_HYPERPARAMETER",
          "epochs must be from 1 to " + MAX_EPOCHS + ", got " + epochs);
    }
    if (batch < 1 || batch > MAX_BATCH_SIZE) {
      throw GraftException.invalidArgument("hyperparameters.batch_size", "INVALID_HYPERPARAMETER",
          "batch_size must be from 1 to " + MAX_BATCH_SIZE + ", got " + batch);
    }
    float lr = h.learningRateOr(d.learningRate());
    if (!(lr > 0) || lr > 1) {
      throw GraftException.invalidArgument("hyperparameters.learning_rate",
          "INVALID_HYPERPARAMETER", "learning_rate must be in (0, 1] for this strategy, got " + lr);
    }
    SeriesTargets.seasonLength(h); // refused now rather than after training
    Schedule schedule = Schedule.valueOf(o.choice(SCHEDULE, d.schedule().name().toLowerCase(Locale.ROOT),
        Set.of("linear", "cosine", "constant")).toUpperCase(Locale.ROOT));
    return new TransferSettings(
        epochs,
        batch,
        lr,
        h.weightDecayOr(d.weightDecay()),
        h.patienceOr(d.patience()),
        h.seedOr(DEFAULT_SEED),
        o.number(WARMUP, d.warmup(), 0f, 0.5f),
        schedule,
        o.number(CLIP_NORM, d.clipNorm(), 0f, 1000f),
        o.number(HEAD_DROPOUT, d.headDropout(), 0f, 0.9f),
        o.number(HEAD_LR_SCALE, d.headScale(), 0.01f, 1000f),
        o.flag(LINEAR_PROBE, d.linearProbe()),
        NonFiniteGuard.maxSteps(o));
  }

  /** "lr 5e-05, batch 16, 4 epochs, warm-up 10% then linear, clip 1.0, head ×10". */
  public String describe() {
    return String.format(Locale.ROOT,
        "lr %.3g, batch %d, %d epochs, warm-up %.0f%% then %s, clip %s, head lr ×%.3g%s",
        learningRate, batchSize, epochs, warmup * 100, schedule.name().toLowerCase(Locale.ROOT),
        clipNorm > 0 ? String.valueOf(clipNorm) : "off", headScale,
        linearProbe ? ", linear probe first" : "");
  }
}
