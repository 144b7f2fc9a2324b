package dev.graft.server.core.jobs;

import dev.graft.server.core.store.JobError;
import dev.graft.server.core.store.JobRecord;
import dev.graft.server.core.store.JobState;
import dev.graft.server.core.store.ModelKind;
import dev.graft.server.core.store.ModelRecord;
import dev.graft.server.core.store.ModelStore;
import dev.graft.server.core.store.StoreLayout;
import dev.graft.server.engine.Loaded;
import dev.graft.server.engine.ModelRuntime;
import dev.graft.server.scheduler.DeviceSpec;
import dev.graft.server.telemetry.JobTelemetry;
import io.opentelemetry.context.Context;
import dev.graft.spi.Backbone;
import dev.graft.spi.ErrorKind;
import dev.graft.spi.GraftException;
import dev.graft.spi.Hyperparameters;
import dev.graft.spi.MetricValue;
import dev.graft.spi.StrategyPlugin;
import dev.graft.spi.TaskSpec;
import dev.graft.spi.TrainOutcome;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Runs one admitted job on the device the scheduler chose: marks it RUNNING, trains with its
 * strategy, publishes the model atomically, trims its checkpoints ({@code keep-checkpoints}) and
 * ends the job SUCCEEDED, FAILED (with the reason) or CANCELLED. Never throws: every outcome is written to the job.
 * Measured and traced by {@link JobTelemetry} (the job's span is the child of {@code parent}, the
 * context of the Train call that queued it).
 */
final class TrainingRun {
  private static final System.Logger LOG = System.getLogger(TrainingRun.class.getName());

  private final JobHandle handle;
  private final PreparedJob job;
  private final ModelStore models;
  private final ModelRuntime runtime;
  private final FeatureCache cache;
  private final StoreLayout layout;
  private final CheckpointRetention retention;
  private final Clock clock;
  private final JobTelemetry telemetry;
  private final Context parent;

  TrainingRun(JobHandle handle, PreparedJob job, ModelStore models, ModelRuntime runtime,
      FeatureCache cache, StoreLayout layout, CheckpointRetention retention, Clock clock, JobTelemetry telemetry,
      Context parent) {
    this.handle = handle;
    this.job = job;
    this.models = models;
    this.runtime = runtime;
    this.cache = cache;
    this.layout = layout;
    this.retention = retention;
    this.clock = clock;
    this.telemetry = telemetry;
    this.parent = parent;
  }

  JobRecord run(DeviceSpec device) {
    if (!handle.update(r -> r.withState(JobState.RUNNING).withDevice(device.id()).withStartTime(clock.instant()),
        "running on " + device.id(), true)) {
      return handle.current();
    }
    JobTelemetry.Run tracked = telemetry.start(handle.current().id(), job.strategy().id(), job.base().ref(), parent);
    try {
      return train(device, tracked);
    } finally {
      JobRecord last = handle.current();
      tracked.end(last.state().name(), last.error() == null ? "" : last.error().reason());
    }
  }

  private JobRecord train(DeviceSpec device, JobTelemetry.Run tracked) {
    Path staged = null;
    try {
      handle.throwIfCancelled();
      staged = models.newStagingDirectory();
      Path checkpoints = layout.checkpoints().resolve(handle.current().id());
      Files.createDirectories(checkpoints);
      TrainOutcome outcome;
      // The base model's backbone is held for the whole training: never unloaded under the job.
      try (Loaded<Backbone> backbone = runtime.backbone(job.base(), device)) {
        JobTrainContext context = new JobTrainContext(handle.current().id(), backbone.get(),
            runtime.baseModel(job.base()), job.task(), job.train(), job.validation(), job.hyperparameters(),
            device.toDjlDevice(), new JobProgressReporter(handle, tracked), handle, staged, checkpoints, cache,
            job.dataKey());
        outcome = job.strategy().train(context);
      }
      handle.throwIfCancelled();
      JobAccess.checkOutputModel(models, job.outputModel(), job.principal());
      ModelRecord stored = models.create(trainedRecord(outcome.metrics(), outcome.properties())
          .withConfusionMatrix(outcome.confusionMatrix()), staged);
      staged = null;
      List<MetricValue> finalMetrics = outcome.metrics();
      retention.succeeded(handle.current().id()); // keep-checkpoints, before anyone sees SUCCEEDED
      handle.update(r -> r.withState(JobState.SUCCEEDED).withResultModel(stored.ref())
              .withEndTime(clock.instant()).withFinalMetrics(finalMetrics).withProgress(r.progress().finished()),
          "succeeded: model " + stored.ref(), true);
    } catch (GraftException e) {
      end(e.kind() == ErrorKind.CANCELLED || handle.isCancelled() ? JobState.CANCELLED : JobState.FAILED,
          JobError.of(e));
    } catch (RuntimeException | IOException | LinkageError e) {
      LOG.log(System.Logger.Level.ERROR, "job " + handle.current().id() + " failed", e);
      end(handle.isCancelled() ? JobState.CANCELLED : JobState.FAILED,
          new JobError(ErrorKind.INTERNAL, "TRAINING_FAILED", String.valueOf(e.getMessage() == null ? e : e.getMessage())));
    } finally {
      deleteQuietly(staged);
    }
    return handle.current();
  }

  private void end(JobState outcome, JobError error) {
    JobError shutdown = handle.shutdownError();
    JobState state = shutdown != null ? JobState.FAILED : outcome;
    JobError recorded = shutdown != null ? shutdown
        : state == JobState.CANCELLED
        ? new JobError(ErrorKind.CANCELLED, "JOB_CANCELLED", "the job was cancelled")
        : error;
    handle.update(r -> r.withState(state).withError(recorded).withEndTime(clock.instant()),
        state == JobState.CANCELLED ? "cancelled" : "failed: " + recorded.message(), true);
  }

  private ModelRecord trainedRecord(List<MetricValue> metrics, Map<String, String> properties) {
    ModelRecord base = job.base();
    TaskSpec task = job.task();
    return new ModelRecord(job.outputModel(), 0, ModelKind.TRAINED, base.domain(), "PyTorch",
        "graft-" + job.strategy().id(), base.ref(), job.strategy().id(), job.datasetId(), job.datasetSha256(),
        task.task(), task.labels(), metrics, base.input(), describe(job.hyperparameters()), properties,
        0, clock.instant(), handle.current().id(), base.dimension(), handle.current().createdBy());
  }

  private static Map<String, String> describe(Hyperparameters h) {
    Map<String, String> out = new LinkedHashMap<>();
    if (h.epochs() > 0) {
      out.put("epochs", Integer.toString(h.epochs()));
    }
    if (h.batchSize() > 0) {
      out.put("batch_size", Integer.toString(h.batchSize()));
    }
    if (h.learningRate() > 0) {
      out.put("learning_rate", Float.toString(h.learningRate()));
    }
    if (h.weightDecay() > 0) {
      out.put("weight_decay", Float.toString(h.weightDecay()));
    }
    if (h.earlyStoppingPatience() > 0) {
      out.put("early_stopping_patience", Integer.toString(h.earlyStoppingPatience()));
    }
    out.put("seed", Long.toString(h.seedOr(PreparedJob.DEFAULT_SEED)));
    h.extra().forEach((k, v) -> out.put("extra." + k, v));
    return out;
  }

  private static void deleteQuietly(Path dir) {
    if (dir == null) {
      return;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      LOG.log(System.Logger.Level.WARNING, "could not delete " + dir + ": " + e);
    }
  }
}
