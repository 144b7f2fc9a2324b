package dev.graft.server.core.store;

import dev.graft.spi.Hyperparameters;
import dev.graft.spi.MetricValue;
import dev.graft.spi.Task;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * A training job as stored in {@code jobs/<id>.json}. Immutable: null strings become "", null
 * collections empty, null hyperparameters all-default, null progress {@link JobProgress#none()}.
 *
 * @param resultModel the stored model's {@code name@version} once SUCCEEDED, else ""
 * @param task the requested task, or null to infer it from the data
 * @param trainSource the dataset id, or "inline"
 * @param validationSource the dataset id, "inline", or "" for none
 * @param device where it runs ("cpu", "gpu:0"), "" until placed
 * @param labels the caller's labels (not classification labels)
 * @param error why it failed or was cancelled; null otherwise
 * @param startTime null until RUNNING
 * @param endTime null until terminal
 * @param createdBy the principal that submitted it; "" for jobs stored before principals existed
 * @param phases the named phases the run has begun, in order (empty for a single-phase run);
 *     each says where in {@code metrics} its epochs start
 */
public record JobRecord(
    String id,
    JobState state,
    String baseModel,
    String strategy,
    String outputModel,
    String resultModel,
    Task task,
    String trainSource,
    String validationSource,
    float validationSplit,
    Hyperparameters hyperparameters,
    String devicePool,
    String device,
    int priority,
    Map<String, String> labels,
    JobProgress progress,
    List<MetricValue> metrics,
    JobError error,
    Instant createTime,
    Instant startTime,
    Instant endTime,
    String createdBy,
    List<JobPhase> phases) {

  public JobRecord {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(state, "state");
    baseModel = Copies.text(baseModel);
    strategy = Copies.text(strategy);
    outputModel = Copies.text(outputModel);
    resultModel = Copies.text(resultModel);
    trainSource = Copies.text(trainSource);
    validationSource = Copies.text(validationSource);
    hyperparameters = hyperparameters == null ? new Hyperparameters(0, 0, 0, 0, 0, 0, Map.of()) : hyperparameters;
    devicePool = Copies.text(devicePool);
    device = Copies.text(device);
    labels = Copies.sortedMap(labels);
    progress = progress == null ? JobProgress.none() : progress;
    metrics = Copies.list(metrics);
    createdBy = Copies.text(createdBy);
    phases = Copies.list(phases);
  }

  /** A job that has begun no phase. */
  public JobRecord(String id, JobState state, String baseModel, String strategy, String outputModel,
      String resultModel, Task task, String trainSource, String validationSource, float validationSplit,
      Hyperparameters hyperparameters, String devicePool, String device, int priority,
      Map<String, String> labels, JobProgress progress, List<MetricValue> metrics, JobError error,
      Instant createTime, Instant startTime, Instant endTime, String createdBy) {
    this(id, state, baseModel, strategy, outputModel, resultModel, task, trainSource, validationSource,
        validationSplit, hyperparameters, devicePool, device, priority, labels, progress, metrics, error,
        createTime, startTime, endTime, createdBy, List.of());
  }

  /** The job with a new phase begun at the current end of its metrics. */
  public JobRecord withPhase(String name, int index, int count) {
    List<JobPhase> all = Stream.concat(phases.stream(),
        Stream.of(new JobPhase(name, index, count, metrics.size()))).toList();
    return new JobRecord(id, state, baseModel, strategy, outputModel, resultModel, task, trainSource,
        validationSource, validationSplit, hyperparameters, devicePool, device, priority, labels, progress, metrics,
        error, createTime, startTime, endTime, createdBy, all);
  }

  /** The phase the metric at {@code index} of {@link #metrics()} was measured in, or "" for none. */
  public String phaseOf(int index) {
    String name = "";
    for (JobPhase p : phases) {
      if (p.firstMetric() <= index) {
        name = p.name();
      }
    }
    return name;
  }

  public JobRecord withState(JobState newState) {
    return new JobRecord(id, newState, baseModel, strategy, outputModel, resultModel, task, trainSource,
        validationSource, validationSplit, hyperparameters, devicePool, device, priority, labels, progress, metrics,
        error, createTime, startTime, endTime, createdBy, phases);
  }

  public JobRecord withDevice(String newDevice) {
    return new JobRecord(id, state, baseModel, strategy, outputModel, resultModel, task, trainSource,
        validationSource, validationSplit, hyperparameters, devicePool, newDevice, priority, labels, progress, metrics,
        error, createTime, startTime, endTime, createdBy, phases);
  }

  public JobRecord withProgress(JobProgress newProgress) {
    return new JobRecord(id, state, baseModel, strategy, outputModel, resultModel, task, trainSource,
        validationSource, validationSplit, hyperparameters, devicePool, device, priority, labels, newProgress, metrics,
        error, createTime, startTime, endTime, createdBy, phases);
  }

  public JobRecord withMetrics(List<MetricValue> newMetrics) {
    return new JobRecord(id, state, baseModel, strategy, outputModel, resultModel, task, trainSource,
        validationSource, validationSplit, hyperparameters, devicePool, device, priority, labels, progress, newMetrics,
        error, createTime, startTime, endTime, createdBy, phases);
  }

  /**
   * The metrics so far (per epoch) followed by the final ones of the stored model, each final
   * metric with epoch 0 (as a succeeded job reports them).
   */
  public JobRecord withFinalMetrics(List<MetricValue> finals) {
    return withMetrics(Stream.concat(metrics.stream(),
        finals.stream().map(m -> new MetricValue(m.name(), m.value(), m.split(), 0))).toList());
  }

  public JobRecord withError(JobError newError) {
    return new JobRecord(id, state, baseModel, strategy, outputModel, resultModel, task, trainSource,
        validationSource, validationSplit, hyperparameters, devicePool, device, priority, labels, progress, metrics,
        newError, createTime, startTime, endTime, createdBy, phases);
  }

  public JobRecord withResultModel(String newResultModel) {
    return new JobRecord(id, state, baseModel, strategy, outputModel, newResultModel, task, trainSource,
        validationSource, validationSplit, hyperparameters, devicePool, device, priority, labels, progress, metrics,
        error, createTime, startTime, endTime, createdBy, phases);
  }

  public JobRecord withStartTime(Instant newStartTime) {
    return new JobRecord(id, state, baseModel, strategy, outputModel, resultModel, task, trainSource,
        validationSource, validationSplit, hyperparameters, devicePool, device, priority, labels, progress, metrics,
        error, createTime, newStartTime, endTime, createdBy, phases);
  }

  public JobRecord withEndTime(Instant newEndTime) {
    return new JobRecord(id, state, baseModel, strategy, outputModel, resultModel, task, trainSource,
        validationSource, validationSplit, hyperparameters, devicePool, device, priority, labels, progress, metrics,
        error, createTime, startTime, newEndTime, createdBy, phases);
  }
}
