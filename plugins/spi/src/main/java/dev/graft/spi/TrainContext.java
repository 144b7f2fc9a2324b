package dev.graft.spi;

import ai.djl.Device;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Supplier;

/**
 * Everything a strategy needs to train one model. Provided by the server for one job; valid
 * until {@link StrategyPlugin#train} returns. Not thread-safe: use it from the training thread.
 */
public interface TrainContext {

  /** The id of the job, for logs. */
  String jobId();

  /** The base model's backbone, borrowed: do not close it. */
  Backbone backbone();

  /** The base model as stored (its files and properties). */
  BaseModel baseModel();

  /** The task, with its labels for classification. */
  TaskSpec task();

  /** Training examples. */
  List<Example> trainSet();

  /** Validation examples (from the request, or split off the training data); may be empty. */
  List<Example> validationSet();

  Hyperparameters hyperparameters();

  /** The device the scheduler placed this job on. */
  Device device();

  ProgressListener progress();

  CancellationToken cancellation();

  /**
   * An empty folder the strategy writes the trained model's files into. The server publishes it
   * atomically as the new model version once {@code train} returns.
   */
  Path outputDirectory();

  /** A folder for checkpoints of this job that survives the job (for resume). */
  Path checkpointDirectory();

  /**
   * The checkpoint folder of another job of this store ({@code checkpoints/<job-id>/}, a sibling
   * of {@link #checkpointDirectory()}), whether or not it exists; read it, never write to it.
   * Since SPI 1.1.
   *
   * @throws GraftException INVALID_ARGUMENT naming {@code field} when {@code jobId} is not a job
   *     id (letters, digits, '-' and '_')
   */
  default Path checkpointDirectoryOf(String jobId, String field) {
    if (jobId == null || !jobId.matches("[A-Za-z0-9][A-Za-z0-9_-]{0,127}")) {
      throw GraftException.invalidArgument(
          field, "INVALID_JOB_ID", field + " must be a job id like job-1a2b3c, got '" + jobId + "'");
    }
    return checkpointDirectory().resolveSibling(jobId);
  }

  /**
   * Features of the training or validation set ({@code split} = "train" | "validation") computed
   * once per (base model, data, request) and cached by the server across jobs.
   */
  float[][] cachedFeatures(String split, FeatureRequest request, Supplier<float[][]> compute);
}
