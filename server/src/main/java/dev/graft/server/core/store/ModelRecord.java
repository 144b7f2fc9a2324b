package dev.graft.server.core.store;

import dev.graft.spi.ConfusionMatrix;
import dev.graft.spi.MetricValue;
import dev.graft.spi.Task;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A stored model version, as written to {@code models/<name>/<version>/manifest.json}.
 * Immutable: null strings become "", null lists and maps become empty.
 *
 * @param name the model name (see {@link ModelStore#validateName})
 * @param version 1, 2, ... assigned by {@link ModelStore#create}
 * @param kind BASE (imported) or TRAINED
 * @param domain the domain plugin id ("nlp")
 * @param engine the DJL engine name ("OnnxRuntime", "PyTorch")
 * @param format the stored format ("onnx", "torchscript", or a strategy's own)
 * @param baseModel for TRAINED models, the base's {@code name@version}; "" for BASE
 * @param strategy the strategy plugin id that trained it; "" for BASE
 * @param datasetId the training dataset id, or "inline"; "" for BASE
 * @param datasetSha256 the training data's hash; "" when unknown
 * @param task what it predicts; null for BASE models
 * @param labels for classification, the labels in output order
 * @param metrics final metrics of training
 * @param input what the model expects as input
 * @param hyperparameters the training settings as text (for lineage)
 * @param properties free-form properties (domain hints, strategy outcome properties)
 * @param sizeBytes the total size of the model's files (manifest excluded)
 * @param createTime when the version was stored; null only in drafts
 * @param jobId the job that trained it; "" for BASE
 * @param dimension the feature vector length for {@code Extract}; 0 when unknown
 * @param createdBy the principal that imported or trained it ("graft" for built-ins); "" for
 *     versions stored before principals existed
 * @param confusionMatrix a classifier's confusion matrix on the split of its final metrics, as its
 *     strategy computed it; null when there is none (and in manifests written before it existed)
 */
public record ModelRecord(
    String name,
    int version,
    ModelKind kind,
    String domain,
    String engine,
    String format,
    String baseModel,
    String strategy,
    String datasetId,
    String datasetSha256,
    Task task,
    List<String> labels,
    List<MetricValue> metrics,
    ModelInputSpec input,
    Map<String, String> hyperparameters,
    Map<String, String> properties,
    long sizeBytes,
    Instant createTime,
    String jobId,
    int dimension,
    String createdBy,
    ConfusionMatrix confusionMatrix) {

  public ModelRecord {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(kind, "kind");
    domain = Copies.text(domain);
    engine = Copies.text(engine);
    format = Copies.text(format);
    baseModel = Copies.text(baseModel);
    strategy = Copies.text(strategy);
    datasetId = Copies.text(datasetId);
    datasetSha256 = Copies.text(datasetSha256);
    labels = Copies.list(labels);
    metrics = Copies.list(metrics);
    input = input == null ? ModelInputSpec.empty() : input;
    hyperparameters = Copies.sortedMap(hyperparameters);
    properties = Copies.sortedMap(properties);
    jobId = Copies.text(jobId);
    createdBy = Copies.text(createdBy);
  }

  /** A record without a confusion matrix (base models, and trained ones whose strategy gave none). */
  public ModelRecord(String name, int version, ModelKind kind, String domain, String engine, String format,
      String baseModel, String strategy, String datasetId, String datasetSha256, Task task, List<String> labels,
      List<MetricValue> metrics, ModelInputSpec input, Map<String, String> hyperparameters,
      Map<String, String> properties, long sizeBytes, Instant createTime, String jobId, int dimension,
      String createdBy) {
    this(name, version, kind, domain, engine, format, baseModel, strategy, datasetId, datasetSha256, task, labels,
        metrics, input, hyperparameters, properties, sizeBytes, createTime, jobId, dimension, createdBy, null);
  }

  /** {@code name@version}. */
  public String ref() {
    return name + "@" + version;
  }

  /** A property, or {@code fallback} when absent. */
  public String property(String key, String fallback) {
    return properties.getOrDefault(key, fallback);
  }

  public ModelRecord withVersion(int newVersion) {
    return new ModelRecord(name, newVersion, kind, domain, engine, format, baseModel, strategy, datasetId,
        datasetSha256, task, labels, metrics, input, hyperparameters, properties, sizeBytes, createTime, jobId,
        dimension, createdBy, confusionMatrix);
  }

  public ModelRecord withSizeBytes(long newSizeBytes) {
    return new ModelRecord(name, version, kind, domain, engine, format, baseModel, strategy, datasetId,
        datasetSha256, task, labels, metrics, input, hyperparameters, properties, newSizeBytes, createTime, jobId,
        dimension, createdBy, confusionMatrix);
  }

  public ModelRecord withCreateTime(Instant newCreateTime) {
    return new ModelRecord(name, version, kind, domain, engine, format, baseModel, strategy, datasetId,
        datasetSha256, task, labels, metrics, input, hyperparameters, properties, sizeBytes, newCreateTime, jobId,
        dimension, createdBy, confusionMatrix);
  }

  public ModelRecord withProperties(Map<String, String> newProperties) {
    return new ModelRecord(name, version, kind, domain, engine, format, baseModel, strategy, datasetId,
        datasetSha256, task, labels, metrics, input, hyperparameters, newProperties, sizeBytes, createTime, jobId,
        dimension, createdBy, confusionMatrix);
  }

  public ModelRecord withConfusionMatrix(ConfusionMatrix newConfusionMatrix) {
    return new ModelRecord(name, version, kind, domain, engine, format, baseModel, strategy, datasetId,
        datasetSha256, task, labels, metrics, input, hyperparameters, properties, sizeBytes, createTime, jobId,
        dimension, createdBy, newConfusionMatrix);
  }

  public ModelRecord withDimension(int newDimension) {
    return new ModelRecord(name, version, kind, domain, engine, format, baseModel, strategy, datasetId,
        datasetSha256, task, labels, metrics, input, hyperparameters, properties, sizeBytes, createTime, jobId,
        newDimension, createdBy, confusionMatrix);
  }
}
