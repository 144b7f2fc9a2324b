package dev.graft.server.api;

import com.google.protobuf.Duration;
import com.google.protobuf.Timestamp;
import dev.graft.api.v1.Dataset;
import dev.graft.api.v1.DatasetFormat;
import dev.graft.api.v1.InputSpec;
import dev.graft.api.v1.Job;
import dev.graft.api.v1.JobState;
import dev.graft.api.v1.Metric;
import dev.graft.api.v1.Model;
import dev.graft.api.v1.ModelKind;
import dev.graft.api.v1.Progress;
import dev.graft.api.v1.Task;
import dev.graft.server.core.store.DatasetRecord;
import dev.graft.server.core.store.JobRecord;
import dev.graft.server.core.store.ModelInputSpec;
import dev.graft.server.core.store.ModelRecord;
import dev.graft.spi.ConfusionMatrix;
import dev.graft.spi.GraftException;
import dev.graft.spi.MetricValue;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import javax.inject.Inject;
import javax.inject.Singleton;

/** Turns stored records into API resources (models, jobs, datasets) and API enums into core ones. */
@Singleton
public final class ResourceMapper {
  private final StatusMapper statuses;

  @Inject
  public ResourceMapper(StatusMapper statuses) {
    this.statuses = statuses;
  }

  public Model model(ModelRecord r) {
    Model.Builder m = Model.newBuilder()
        .setName(r.name())
        .setVersion(r.version())
        .setKind(r.kind() == dev.graft.server.core.store.ModelKind.BASE ? ModelKind.MODEL_KIND_BASE
            : ModelKind.MODEL_KIND_TRAINED)
        .setDomain(r.domain())
        .setEngine(r.engine())
        .setFormat(r.format())
        .setBaseModel(r.baseModel())
        .setStrategy(r.strategy())
        .setDataset(r.datasetId())
        .setDatasetSha256(r.datasetSha256())
        .setTask(task(r.task()))
        .addAllLabels(r.labels())
        .addAllMetrics(metrics(r.metrics()))
        .setInput(inputSpec(r.input()))
        .setSizeBytes(r.sizeBytes())
        .putAllProperties(r.properties())
        .putAllHyperparameters(r.hyperparameters())
        .setJobId(r.jobId())
        .setDimension(r.dimension())
        .setCreatedBy(r.createdBy());
    if (r.createTime() != null) {
      m.setCreateTime(timestamp(r.createTime()));
    }
    if (r.confusionMatrix() != null) {
      m.setConfusionMatrix(confusionMatrix(r.confusionMatrix()));
    }
    return m.build();
  }

  public Job job(JobRecord r) {
    var p = r.progress();
    Progress.Builder progress = Progress.newBuilder()
        .setEpoch(p.epoch()).setTotalEpochs(p.totalEpochs())
        .setStep(p.step()).setTotalSteps(p.totalSteps()).setFraction(p.fraction())
        .setPhase(p.phase()).setPhaseIndex(p.phaseIndex()).setPhaseCount(p.phaseCount());
    if (p.etaMillis() > 0) {
      progress.setEta(Duration.newBuilder().setSeconds(p.etaMillis() / 1000).setNanos((int) (p.etaMillis() % 1000) * 1_000_000));
    }
    Job.Builder j = Job.newBuilder()
        .setId(r.id())
        .setState(JobState.valueOf("JOB_STATE_" + r.state().name()))
        .setBaseModel(r.baseModel())
        .setStrategy(r.strategy())
        .setOutputModel(r.outputModel())
        .setResultModel(r.resultModel() == null ? "" : r.resultModel())
        .setProgress(progress)
        .addAllMetrics(metrics(r.metrics().stream().filter(m -> m.epoch() == 0).toList()))
        .addAllHistory(history(r))
        .setDevice(r.device() == null ? "" : r.device())
        .setDevicePool(r.devicePool() == null ? "" : r.devicePool())
        .putAllLabels(r.labels())
        .setCreatedBy(r.createdBy());
    if (r.error() != null) {
      j.setError(statuses.toRpcStatus(r.error().kind(), r.error().reason(), r.error().field(), r.error().message()));
    }
    if (r.createTime() != null) {
      j.setCreateTime(timestamp(r.createTime()));
    }
    if (r.startTime() != null) {
      j.setStartTime(timestamp(r.startTime()));
    }
    if (r.endTime() != null) {
      j.setEndTime(timestamp(r.endTime()));
    }
    return j.build();
  }

  public Dataset dataset(DatasetRecord r) {
    Dataset.Builder d = Dataset.newBuilder()
        .setId(r.id())
        .setName(r.name())
        .setDomain(r.domain())
        .setExamples(r.examples())
        .addAllLabels(r.labels())
        .putAllLabelCounts(r.labelCounts())
        .setSha256(r.sha256())
        .setSizeBytes(r.sizeBytes())
        .setFormat(DatasetFormat.valueOf("DATASET_FORMAT_" + r.format().name()))
        .setTask(task(r.task()))
        .setCreatedBy(r.createdBy());
    if (r.createTime() != null) {
      d.setCreateTime(timestamp(r.createTime()));
    }
    return d.build();
  }

  /** The job's per-epoch metrics in order, each with the phase it was measured in. */
  static List<Metric> history(JobRecord r) {
    List<MetricValue> all = r.metrics();
    List<Metric> history = new ArrayList<>(all.size());
    for (int i = 0; i < all.size(); i++) {
      MetricValue m = all.get(i);
      if (m.epoch() > 0) {
        history.add(Metric.newBuilder().setName(m.name()).setValue(m.value()).setSplit(m.split())
            .setEpoch(m.epoch()).setPhase(r.phaseOf(i)).build());
      }
    }
    return history;
  }

  static dev.graft.api.v1.ConfusionMatrix confusionMatrix(ConfusionMatrix c) {
    dev.graft.api.v1.ConfusionMatrix.Builder b = dev.graft.api.v1.ConfusionMatrix.newBuilder()
        .addAllLabels(c.labels()).setSplit(c.split());
    for (long count : c.counts()) {
      b.addCounts(count);
    }
    return b.build();
  }

  static List<Metric> metrics(List<MetricValue> values) {
    return values.stream().map(m -> Metric.newBuilder().setName(m.name()).setValue(m.value())
        .setSplit(m.split()).setEpoch(m.epoch()).build()).toList();
  }

  static Task task(dev.graft.spi.Task t) {
    return t == null ? Task.TASK_UNSPECIFIED : Task.valueOf("TASK_" + t.name());
  }

  /** The core task for an API task; null for TASK_UNSPECIFIED (infer). */
  static dev.graft.spi.Task task(Task t, String field) {
    return switch (t) {
      case TASK_UNSPECIFIED -> null;
      case TASK_CLASSIFICATION -> dev.graft.spi.Task.CLASSIFICATION;
      case TASK_REGRESSION -> dev.graft.spi.Task.REGRESSION;
      case TASK_FORECASTING -> dev.graft.spi.Task.FORECASTING;
      case UNRECOGNIZED -> throw GraftException.invalidArgument(field, "UNKNOWN_TASK", field + " is not a known task");
    };
  }

  static InputSpec inputSpec(ModelInputSpec s) {
    if (s == null) {
      return InputSpec.getDefaultInstance();
    }
    return InputSpec.newBuilder().addAllShape(s.shape()).setMaxTokens(s.maxTokens())
        .setContextLength(s.contextLength()).setHorizon(s.horizon()).addAllMean(s.mean()).addAllStd(s.std()).build();
  }

  static Timestamp timestamp(Instant t) {
    return Timestamp.newBuilder().setSeconds(t.getEpochSecond()).setNanos(t.getNano()).build();
  }
}
