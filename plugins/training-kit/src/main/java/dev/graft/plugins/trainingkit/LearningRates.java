package dev.graft.plugins.trainingkit;

import ai.djl.training.tracker.ParameterTracker;
import java.util.Map;

/**
 * The learning rate of every parameter at the current step: the peak rate, times the
 * parameter's group scale, times the schedule — a linear warm-up from 0, then a linear or cosine
 * decay to 0 at the last step, or constant. The training loop sets the step before each update.
 * Not thread-safe: used by one job's training thread (and the optimizer it drives).
 */
final class LearningRates implements ParameterTracker {
  private final TransferSettings settings;
  private final long totalSteps;
  private final long warmupSteps;
  private final Map<String, Float> scaleById;
  private long step;

  /**
   * @param scaleById the learning-rate scale of each trainable parameter, by DJL parameter id
   */
  LearningRates(TransferSettings settings, long totalSteps, Map<String, Float> scaleById) {
    this.settings = settings;
    this.totalSteps = Math.max(1, totalSteps);
    this.warmupSteps = (long) Math.ceil(settings.warmup() * this.totalSteps);
    this.scaleById = scaleById;
  }

  /** Sets the step (1-based, over the whole run) whose update comes next. */
  void step(long step) {
    this.step = step;
  }

  /** The schedule's factor at {@code step} (1-based). */
  double factor(long step) {
    if (step <= warmupSteps) {
      return (double) step / (warmupSteps + 1);
    }
    double progress = (double) (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
    progress = Math.min(1, Math.max(0, progress));
    return switch (settings.schedule()) {
      case LINEAR -> 1 - progress * (1 - 1e-3);
      case COSINE -> 1e-3 + (1 - 1e-3) * 0.5 * (1 + Math.cos(Math.PI * progress));
      case CONSTANT -> 1;
    };
  }

  /** The peak rate times the schedule at the current step (the head's rate before its scale). */
  double current() {
    return settings.learningRate() * factor(step);
  }

  @Override
  public float getNewValue(String parameterId, int numUpdate) {
    Float scale = scaleById.get(parameterId);
    return (float) (current() * (scale == null ? 1f : scale));
  }
}
