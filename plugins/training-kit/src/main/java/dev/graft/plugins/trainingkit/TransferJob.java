package dev.graft.plugins.trainingkit;

import ai.djl.nn.Block;
import dev.graft.plugins.trainingkit.baseline.Baselines;
import dev.graft.plugins.trainingkit.scoring.ForecastBaselines;
import dev.graft.plugins.trainingkit.scoring.SeriesTargets;
import dev.graft.spi.ConfusionMatrix;
import dev.graft.spi.Example;
import dev.graft.spi.GraftException;
import dev.graft.spi.MetricValue;
import dev.graft.spi.ParameterGroup;
import dev.graft.spi.Task;
import dev.graft.spi.TaskSpec;
import dev.graft.spi.TrainContext;
import dev.graft.spi.TrainOutcome;
import dev.graft.spi.TrainableBackbone;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One run of a strategy that trains the backbone: opens a trainable copy of the base model's
 * backbone (failing fast, with the domain's reason, when it has none), puts a fresh task head on
 * it, resumes from another job's checkpoint when {@code extra["resume_from"]} names one, trains
 * with {@link TransferTrainer}, and stores the best epoch's weights as the model
 * ({@code encoder.params}, {@code head.params}, {@code transfer.json}) with its metrics and
 * lineage properties. Loaded again by {@link TransferModel#load}.
 *
 * <p>Not thread-safe: one instance per job, on its training thread. It closes the trainable
 * backbone it opens (its parameters, the head and the optimizer state go with it) however the
 * job ends — success, failure, cancellation, divergence — and then hands the freed native memory
 * back to the system ({@link NativeMemory}); it never closes the context's backbone.
 */
public final class TransferJob {
  private final String strategy;
  private final TrainContext context;
  private final TransferSettings settings;
  private final GroupPlan plan;
  private final StrategyOptions options;

  /**
   * @param strategy the strategy's id (recorded in checkpoints and the model)
   * @param options the job's options; keys the strategy does not own go to the backbone
   */
  public TransferJob(String strategy, TrainContext context, TransferSettings settings,
      GroupPlan plan, StrategyOptions options) {
    this.strategy = strategy;
    this.context = context;
    this.settings = settings;
    this.plan = plan;
    this.options = options;
  }

  /**
   * Trains and writes the model into {@code context.outputDirectory()}.
   *
   * @throws GraftException FAILED_PRECONDITION when the backbone cannot train (with the domain's
   *     reason), the data cannot train a task, or a resume checkpoint does not fit; NOT_FOUND
   *     when the checkpoint to resume from does not exist; CANCELLED when cancelled
   */
  public TrainOutcome run() {
    Optional<Checkpoints> resumeFrom = options.text(TransferSettings.RESUME_FROM).map(id ->
        new Checkpoints(context.checkpointDirectoryOf(id, "hyperparameters.extra[resume_from]")));
    CheckpointState resumed = resumeFrom.map(c -> c.state(Checkpoints.LAST).orElseThrow(() ->
        GraftException.notFound("CHECKPOINT_NOT_FOUND", "job '"
            + options.text(TransferSettings.RESUME_FROM).orElse("") + "' left no checkpoint to"
            + " resume from"))).orElse(null);
    TaskSpec task = context.task();
    List<Example> trainSet = context.trainSet();
    if (trainSet.isEmpty()) {
      throw GraftException.failedPrecondition("EMPTY_TRAINING_SET", "the training set is empty");
    }
    if (task.task() == Task.CLASSIFICATION && task.labels().size() < 2) {
      throw GraftException.failedPrecondition(
          "TOO_FEW_CLASSES", "classification needs at least 2 labels, got " + task.labels());
    }
    context.progress().onMessage("opening a trainable copy of " + context.baseModel().name());
    try {
      try (TrainableBackbone backbone =
          context.backbone().openTrainable(context.device(), options.backboneOptions())) {
        return train(backbone, resumeFrom, resumed);
      }
    } finally {
      releaseNativeMemory();
    }
  }

  private TrainOutcome train(TrainableBackbone backbone, Optional<Checkpoints> resumeFrom,
      CheckpointState resumed) {
    TaskSpec task = context.task();
    List<Example> trainSet = context.trainSet();
    int outputs = LabelledData.outputWidth(trainSet, task);
    LabelledData train = LabelledData.of("train", trainSet, task, outputs, null);
    LabelledData validation = context.validationSet().isEmpty() ? null : LabelledData.of(
        "validation", context.validationSet(), task, outputs, train.scale());
    // Seeded before the head's initial weights are drawn, so a job is reproducible.
    TransferTrainer.engine().setRandomSeed(Long.hashCode(settings.seed()));
    Block head = TaskHead.create(backbone.dimension(), outputs, settings.headDropout(),
        backbone.manager());
    CheckpointState.Identity identity = identity(backbone, task, outputs, train.scale());
    Checkpoints mine = new Checkpoints(context.checkpointDirectory());
    if (resumed != null) {
      resume(resumeFrom.get(), resumed, identity, mine, backbone, head);
    } else if (settings.linearProbe()) {
      new LinearProbe(backbone, head, context.device(), context.progress(),
          context.cancellation()).fit(train, validation, settings.seed());
    }
    context.progress().onMessage(strategy + ": " + settings.describe() + "; "
        + plan.describe(backbone.groups().size()));
    TransferTrainer trainer = new TransferTrainer(settings, plan, backbone, head,
        context.device(), context.progress(), context.cancellation(), mine, identity);
    TransferTrainer.Result result = trainer.train(train, validation, resumed);
    context.cancellation().throwIfCancelled();
    CheckpointState best = mine.state(Checkpoints.BEST).orElseThrow(() ->
        GraftException.internal("CHECKPOINT_FAILED", "the best checkpoint is missing", null));
    int epochsTrained = (resumed == null ? 0 : resumed.epoch()) + result.epochsRun();
    TransferSpec spec = new TransferSpec(TransferSpec.FORMAT, strategy, task.task(),
        task.task() == Task.CLASSIFICATION ? task.labels() : List.of(), outputs,
        backbone.options(), backbone.dimension(), settings.headDropout(),
        identity.targetMean(), identity.targetStd(), best.bestEpoch(), epochsTrained,
        trainedGroups(backbone, Math.max(1, epochsTrained)));
    write(mine, spec);
    Map<String, String> properties = properties(spec, resumed, backbone);
    List<MetricValue> metrics = new ArrayList<>(best.bestMetrics());
    if (train.series() != null) {
      properties.put(SeriesTargets.SERIES_SCALING, "window");
      LabelledData scored = validation != null ? validation : train;
      if (scored.series() != null) {
        int season = SeriesTargets.seasonLength(context.hyperparameters());
        if (season == 0) {
          season = ForecastBaselines.detectSeason(trainSet);
        }
        properties.put(SeriesTargets.SEASON_LENGTH, Integer.toString(season));
        metrics.addAll(ForecastBaselines.metrics(
            validation != null ? context.validationSet() : trainSet, scored.rawTargets(),
            scored.outputs(), season, scored.series(), scored.split()));
      }
    }
    List<MetricValue> baselines = Baselines.metrics(task, trainSet, context.validationSet(), settings.seed());
    metrics.addAll(baselines);
    Baselines.verdict(metrics, baselines, task).ifPresent(context.progress()::onMessage);
    ConfusionMatrix confusion = task.task() == Task.CLASSIFICATION && best.bestConfusion() != null
        && best.bestConfusion().length == outputs * outputs && task.labels().size() == outputs
        ? new ConfusionMatrix(task.labels(), best.bestConfusion(), validation != null ? "validation" : "train")
        : null;
    return new TrainOutcome(metrics, properties, confusion);
  }

  /** Frees what glibc kept of the job's native memory; nothing when JNA is missing. */
  private static void releaseNativeMemory() {
    try {
      NativeMemory.release();
    } catch (LinkageError e) {
      // no JNA on the class path: the memory stays with the process, as before
    }
  }

  private void resume(Checkpoints from, CheckpointState resumed, CheckpointState.Identity identity,
      Checkpoints mine, TrainableBackbone backbone, Block head) {
    String conflict = identity.conflictWith(resumed.identity());
    if (conflict != null) {
      throw GraftException.failedPrecondition("CHECKPOINT_MISMATCH",
          "cannot resume from " + from.dir(Checkpoints.LAST) + ": " + conflict);
    }
    from.restore(Checkpoints.LAST, backbone, head, backbone.manager());
    try {
      mine.adoptBest(from);
    } catch (IOException e) {
      throw GraftException.internal("CHECKPOINT_FAILED", "cannot copy the best checkpoint of "
          + from.dir(Checkpoints.BEST) + ": " + e.getMessage(), e);
    }
    context.progress().onMessage("resumed after epoch " + resumed.epoch() + " (step "
        + resumed.step() + ", best epoch " + resumed.bestEpoch() + ")");
  }

  private CheckpointState.Identity identity(
      TrainableBackbone backbone, TaskSpec task, int outputs, TargetScale scale) {
    List<String> groups = new ArrayList<>();
    for (ParameterGroup g : backbone.groups()) {
      groups.add(g.name());
    }
    return new CheckpointState.Identity(CheckpointState.FORMAT, strategy,
        context.baseModel().name(), task.task(), task.labels(), outputs, backbone.options(),
        groups, settings.headDropout(), scale == null ? null : scale.mean(),
        scale == null ? null : scale.std());
  }

  private List<String> trainedGroups(TrainableBackbone backbone, int epoch) {
    List<String> names = new ArrayList<>();
    List<ParameterGroup> groups = backbone.groups();
    for (int g = 0; g < groups.size(); g++) {
      if (plan.trains(g, groups.size(), epoch)) {
        names.add(groups.get(g).name());
      }
    }
    return names;
  }

  private void write(Checkpoints mine, TransferSpec spec) {
    Path out = context.outputDirectory();
    try {
      Files.copy(mine.dir(Checkpoints.BEST).resolve(Checkpoints.ENCODER),
          out.resolve(TransferSpec.ENCODER), StandardCopyOption.REPLACE_EXISTING);
      Files.copy(mine.dir(Checkpoints.BEST).resolve(Checkpoints.HEAD),
          out.resolve(TransferSpec.HEAD), StandardCopyOption.REPLACE_EXISTING);
      spec.write(out);
    } catch (IOException e) {
      throw GraftException.internal("MODEL_SAVE_FAILED", "cannot write the model: " + e.getMessage(),
          e);
    }
  }

  private Map<String, String> properties(
      TransferSpec spec, CheckpointState resumed, TrainableBackbone backbone) {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("best_epoch", Integer.toString(spec.bestEpoch()));
    p.put("epochs_trained", Integer.toString(spec.epochsTrained()));
    p.put("trained_groups", String.join(",", spec.trainedGroups()));
    p.put("backbone_groups", Integer.toString(backbone.groups().size()));
    p.put("plan", plan.describe(backbone.groups().size()));
    p.put("settings", settings.describe());
    p.put("seed", Long.toString(settings.seed()));
    spec.backboneOptions().forEach((k, v) -> p.put("backbone." + k, v));
    options.text(TransferSettings.RESUME_FROM).ifPresent(id -> p.put("resumed_from", id
        + " after epoch " + resumed.epoch()));
    p.put("outputs", Integer.toString(spec.outputs()));
    return p;
  }
}
