package dev.graft.server.core.jobs;

import dev.graft.server.core.store.ModelRecord;
import dev.graft.server.security.Principal;
import dev.graft.spi.Example;
import dev.graft.spi.Hyperparameters;
import dev.graft.spi.StrategyPlugin;
import dev.graft.spi.TaskSpec;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A validated training request with everything resolved: the base model record, the strategy,
 * the task with its labels and the split data. Immutable.
 *
 * @param dataKey identifies the data and split for the feature cache; empty for inline data
 */
record PreparedJob(
    ModelRecord base,
    StrategyPlugin strategy,
    String outputModel,
    TaskSpec task,
    List<Example> train,
    List<Example> validation,
    Hyperparameters hyperparameters,
    String datasetId,
    String datasetSha256,
    Optional<String> dataKey,
    Principal principal) {

  static final long DEFAULT_SEED = DataSplitter.DEFAULT_SEED;
  static final float DEFAULT_VALIDATION_SPLIT = DataSplitter.DEFAULT_FRACTION;

  /**
   * This job resuming from the checkpoint folder of {@code checkpointId} (a sibling of its own,
   * see {@code TrainContext#checkpointDirectoryOf}): set by the server for a job it moves to
   * another replica, after the caller's own {@code resume_from} was checked.
   */
  PreparedJob resumingFrom(String checkpointId) {
    Map<String, String> extra = new HashMap<>(hyperparameters.extra());
    extra.put(JobAccess.RESUME_FROM, checkpointId);
    Hyperparameters h = new Hyperparameters(hyperparameters.epochs(), hyperparameters.batchSize(),
        hyperparameters.learningRate(), hyperparameters.weightDecay(), hyperparameters.earlyStoppingPatience(),
        hyperparameters.seed(), extra);
    return new PreparedJob(base, strategy, outputModel, task, train, validation, h, datasetId, datasetSha256, dataKey,
        principal);
  }
}
