package dev.graft.plugins.trainingkit;

import dev.graft.spi.MetricValue;
import dev.graft.spi.Task;
import java.util.List;
import java.util.Map;

/**
 * What a checkpoint records besides the weights ({@code checkpoint.json}): which run it belongs
 * to (so a resume can refuse a checkpoint of another setup), how far the run got and its best
 * epoch so far. Immutable by convention.
 *
 * @param identity what must match for a job to resume from this checkpoint
 * @param epoch the last finished epoch
 * @param step the optimizer steps taken so far
 * @param bestEpoch the epoch of the best validation score so far
 * @param bestScore that score (higher is better)
 * @param bestLoss the validation loss of that epoch (breaks ties)
 * @param bestMetrics that epoch's metrics
 * @param bestConfusion that epoch's confusion counts on the scored split, row-major true ×
 *     predicted (classification; null otherwise, and in checkpoints written before it existed)
 */
record CheckpointState(
    Identity identity,
    int epoch,
    long step,
    int bestEpoch,
    double bestScore,
    double bestLoss,
    List<MetricValue> bestMetrics,
    long[] bestConfusion) {

  static final int FORMAT = 1;

  /**
   * The setup a checkpoint belongs to.
   *
   * @param format the checkpoint format, {@link #FORMAT}
   * @param strategy the strategy id
   * @param baseModel the base model's {@code name@version}
   * @param task the task
   * @param labels the class labels in output order (classification)
   * @param outputs the head's outputs
   * @param backboneOptions the backbone's resolved options
   * @param groups the backbone's parameter group names, bottom first
   * @param headDropout the head's dropout
   * @param targetMean regression targets' mean (else null)
   * @param targetStd regression targets' standard deviation (else null)
   */
  record Identity(
      int format,
      String strategy,
      String baseModel,
      Task task,
      List<String> labels,
      int outputs,
      Map<String, String> backboneOptions,
      List<String> groups,
      float headDropout,
      float[] targetMean,
      float[] targetStd) {

    /** Why a job with this identity cannot resume from {@code stored}, or null if it can. */
    String conflictWith(Identity stored) {
      if (stored == null || stored.format() != format) {
        return "it has checkpoint format " + (stored == null ? "?" : stored.format());
      }
      if (!strategy.equals(stored.strategy())) {
        return "it was made by strategy " + stored.strategy();
      }
      if (!baseModel.equals(stored.baseModel())) {
        return "it was trained from " + stored.baseModel();
      }
      if (task != stored.task() || !labels.equals(stored.labels()) || outputs != stored.outputs()) {
        return "it was trained for " + stored.task() + " " + stored.labels();
      }
      if (!backboneOptions.equals(stored.backboneOptions())) {
        return "its backbone options were " + stored.backboneOptions();
      }
      if (!groups.equals(stored.groups())) {
        return "its backbone has groups " + stored.groups();
      }
      return null;
    }
  }
}
