package dev.graft.server.core.jobs;

import dev.graft.server.core.Echo;
import dev.graft.server.core.plugins.PluginRegistry;
import dev.graft.server.core.store.DatasetRecord;
import dev.graft.server.core.store.DatasetStore;
import dev.graft.server.core.store.ModelKind;
import dev.graft.server.core.store.ModelRecord;
import dev.graft.server.core.store.ModelStore;
import dev.graft.server.engine.ModelRuntime;
import dev.graft.server.scheduler.DeviceSpec;
import dev.graft.server.security.Principal;
import dev.graft.spi.DomainPlugin;
import dev.graft.spi.Example;
import dev.graft.spi.GraftException;
import dev.graft.spi.Hyperparameters;
import dev.graft.spi.StrategyPlugin;
import dev.graft.spi.Target;
import dev.graft.spi.Task;
import dev.graft.spi.TaskSpec;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.regex.Pattern;
import javax.inject.Inject;

/**
 * Checks a {@link TrainCommand} completely before a job exists, so that every mistake is
 * refused at once with the field at fault, and resolves it into a {@link PreparedJob}.
 *
 * <p>Ranges (INVALID_ARGUMENT {@code INVALID_HYPERPARAMETER} naming
 * {@code hyperparameters.FIELD}; 0 always means the strategy's default): {@code epochs} 0 to
 * {@value #MAX_EPOCHS}, {@code batch_size} 0 to {@value #MAX_BATCH_SIZE},
 * {@code early_stopping_patience} 0 to {@value #MAX_EPOCHS}, {@code learning_rate} finite in
 * [0, {@value #MAX_LEARNING_RATE}], {@code weight_decay} finite in [0, {@value #MAX_WEIGHT_DECAY}];
 * {@code extra} at most {@value #MAX_EXTRA} keys of {@code [A-Za-z0-9_.-]{1,64}} with values of at
 * most {@value #MAX_EXTRA_VALUE} characters. {@code validation_split} is finite in [0, 1)
 * ({@code INVALID_VALIDATION_SPLIT}); {@code labels} at most {@value #MAX_LABELS} entries, keys
 * of {@code [A-Za-z0-9_.-]{1,63}}, values of at most {@value #MAX_LABEL_VALUE} characters
 * ({@code INVALID_LABELS}).
 */
public final class JobPreparer {
  static final int MAX_EPOCHS = 100_000;
  static final int MAX_BATCH_SIZE = 65_536;
  static final float MAX_LEARNING_RATE = 10f;
  static final float MAX_WEIGHT_DECAY = 1f;
  static final int MAX_EXTRA = 64;
  static final int MAX_EXTRA_VALUE = 1024;
  static final int MAX_LABELS = 64;
  static final int MAX_LABEL_VALUE = 256;
  private static final Pattern KEY = Pattern.compile("[A-Za-z0-9_.-]{1,64}");
  private static final Pattern LABEL_KEY = Pattern.compile("[A-Za-z0-9_.-]{1,63}");
  /** The strategy whose {@code extra.layer} must be one of the backbone's {@code layers()}. */
  private static final String FEATURE_EXTRACTION = "feature-extraction";

  private final ModelStore models;
  private final DatasetStore datasets;
  private final PluginRegistry plugins;
  private final JobAccess access;
  private final ModelRuntime runtime;

  @Inject
  public JobPreparer(ModelStore models, DatasetStore datasets, PluginRegistry plugins, JobAccess access,
      ModelRuntime runtime) {
    this.models = models;
    this.datasets = datasets;
    this.plugins = plugins;
    this.access = access;
    this.runtime = runtime;
  }

  PreparedJob prepare(TrainCommand c) {
    require(c.baseModel(), "base_model");
    require(c.strategy(), "strategy");
    require(c.outputModel(), "output_model");
    ModelStore.validateName(c.outputModel(), "output_model");
    JobAccess.checkOutputModel(models, c.outputModel(), c.principal());
    Hyperparameters h = c.hyperparameters();
    checkHyperparameters(h);
    checkLabels(c.labels());
    access.checkResumeFrom(h.extra().get(JobAccess.RESUME_FROM), c.principal());
    if (!Float.isFinite(c.validationSplit()) || c.validationSplit() < 0 || c.validationSplit() >= 1) {
      throw GraftException.invalidArgument("validation_split", "INVALID_VALIDATION_SPLIT",
          "validation_split must be a number in [0, 1), got " + c.validationSplit());
    }
    ModelRecord base = baseModel(c.baseModel());
    DomainPlugin domain = plugins.domain(base.domain());
    StrategyPlugin strategy = plugins.strategy(c.strategy());
    if (FEATURE_EXTRACTION.equals(c.strategy())) {
      checkLayer(base, h.extra().get("layer"));
    }

    Data train = load(c.train(), "train", c.principal());
    Optional<Data> validation = c.validation().map(v -> load(v, "validation", c.principal()));
    validateInputs(domain, train.examples(), "train");
    validation.ifPresent(v -> validateInputs(domain, v.examples(), "validation"));

    TaskSpec task = taskSpec(c.task(), train.examples(), "train");
    long seed = h.seedOr(PreparedJob.DEFAULT_SEED);
    List<Example> trainSet;
    List<Example> validationSet;
    String splitKey;
    if (validation.isPresent()) {
      trainSet = train.examples();
      validationSet = validation.get().examples();
      splitKey = "validation=" + validation.get().key().orElse("inline");
    } else {
      float fraction = c.validationSplit() > 0 ? c.validationSplit() : PreparedJob.DEFAULT_VALIDATION_SPLIT;
      DataSplitter.Split split = DataSplitter.split(train.examples(), fraction, seed);
      trainSet = split.train();
      validationSet = split.validation();
      splitKey = DataSplitter.key(fraction, seed);
    }
    if (task.task() == Task.CLASSIFICATION) {
      for (Example e : validationSet) {
        String label = ((Target.Label) e.target()).label();
        if (task.indexOf(label) < 0) {
          throw GraftException.invalidArgument("validation", "UNKNOWN_LABEL",
              "validation label " + Echo.quote(label) + " does not occur in the training data "
                  + Echo.cut(task.labels()));
        }
      }
    }
    strategy.validate(h, task);
    Optional<String> dataKey = train.key().isPresent()
            && (validation.isEmpty() || validation.get().key().isPresent())
        ? Optional.of(train.key().get() + "|" + splitKey)
        : Optional.empty();
    return new PreparedJob(base, strategy, c.outputModel(), task, trainSet, validationSet, h,
        train.datasetId(), train.sha256(), dataKey, c.principal());
  }

  private ModelRecord baseModel(String ref) {
    ModelRecord base = models.get(ref);
    if (base.kind() != ModelKind.BASE) {
      throw GraftException.failedPrecondition("BASE_MODEL_REQUIRED",
          "base_model " + base.ref() + " is a trained model; train from a base model (here: "
              + base.baseModel() + ")");
    }
    return base;
  }

  private record Data(List<Example> examples, String datasetId, String sha256, Optional<String> key) {}

  private Data load(TrainCommand.DataRef ref, String field, Principal principal) {
    if (ref instanceof TrainCommand.DataRef.Dataset d) {
      require(d.idOrName(), field + ".dataset");
      DatasetRecord record = datasets.get(d.idOrName());
      access.checkDataset(record, field + ".dataset", principal);
      return new Data(datasets.examples(record.id()), record.id(), record.sha256(), Optional.of(record.sha256()));
    }
    List<Example> examples = ((TrainCommand.DataRef.Inline) ref).examples();
    if (examples.isEmpty()) {
      throw GraftException.invalidArgument(field, "EMPTY_TRAINING_DATA", field + " has no examples");
    }
    return new Data(examples, "inline", "", Optional.empty());
  }

  private static void validateInputs(DomainPlugin domain, List<Example> examples, String field) {
    for (int i = 0; i < examples.size(); i++) {
      domain.validate(examples.get(i).input(), field + ".examples[" + i + "].input");
    }
  }

  /**
   * The task of {@code examples} (inferred from their targets when {@code requested} is null) with
   * its sorted labels for classification.
   *
   * @param field the request field that holds the examples ("train"), for errors
   * @throws GraftException INVALID_ARGUMENT TASK_MISMATCH, MIXED_TARGETS or TOO_FEW_CLASSES
   */
  public static TaskSpec taskSpec(Task requested, List<Example> examples, String field) {
    Task inferred = inferTask(examples, field);
    Task task = requested == null ? inferred : requested;
    if (task != inferred) {
      throw GraftException.invalidArgument("task", "TASK_MISMATCH",
          "task " + task + " does not fit the targets, which are for " + inferred);
    }
    if (task != Task.CLASSIFICATION) {
      return new TaskSpec(task, List.of());
    }
    TreeSet<String> labels = new TreeSet<>();
    examples.forEach(e -> labels.add(((Target.Label) e.target()).label()));
    if (labels.size() < 2) {
      throw GraftException.invalidArgument(field, "TOO_FEW_CLASSES",
          "classification needs at least 2 classes; the " + ("train".equals(field) ? "training" : field)
              + " data has " + Echo.cut(labels));
    }
    return new TaskSpec(task, List.copyOf(labels));
  }

  private static Task inferTask(List<Example> examples, String field) {
    Task task = null;
    for (int i = 0; i < examples.size(); i++) {
      Target t = examples.get(i).target();
      Task current = t instanceof Target.Label ? Task.CLASSIFICATION
          : t instanceof Target.Value ? Task.REGRESSION : Task.FORECASTING;
      if (task != null && task != current) {
        throw GraftException.invalidArgument(field + ".examples[" + i + "].target", "MIXED_TARGETS",
            "example " + i + " has a " + current + " target but earlier ones are " + task);
      }
      task = current;
    }
    return task;
  }

  private static void checkHyperparameters(Hyperparameters h) {
    range(h.epochs(), MAX_EPOCHS, "epochs");
    range(h.batchSize(), MAX_BATCH_SIZE, "batch_size");
    range(h.earlyStoppingPatience(), MAX_EPOCHS, "early_stopping_patience");
    if (!Float.isFinite(h.learningRate()) || h.learningRate() < 0 || h.learningRate() > MAX_LEARNING_RATE) {
      throw GraftException.invalidArgument("hyperparameters.learning_rate", "INVALID_HYPERPARAMETER",
          "learning_rate must be in (0, " + MAX_LEARNING_RATE + "], or 0 for the strategy default; got "
              + h.learningRate());
    }
    if (!Float.isFinite(h.weightDecay()) || h.weightDecay() < 0 || h.weightDecay() > MAX_WEIGHT_DECAY) {
      throw GraftException.invalidArgument("hyperparameters.weight_decay", "INVALID_HYPERPARAMETER",
          "weight_decay must be in [0, " + MAX_WEIGHT_DECAY + "] (0 = strategy default); got " + h.weightDecay());
    }
    if (h.extra().size() > MAX_EXTRA) {
      throw GraftException.invalidArgument("hyperparameters.extra", "INVALID_HYPERPARAMETER",
          "hyperparameters.extra has " + h.extra().size() + " keys; at most " + MAX_EXTRA);
    }
    for (var e : h.extra().entrySet()) {
      if (!KEY.matcher(e.getKey()).matches()) {
        throw GraftException.invalidArgument("hyperparameters.extra[" + Echo.cut(e.getKey()) + "]",
            "INVALID_HYPERPARAMETER", "hyperparameters.extra key " + Echo.quote(e.getKey())
                + " is not a key: use 1 to 64 characters from A-Z, a-z, 0-9, '_', '.', '-'");
      }
      if (e.getValue().length() > MAX_EXTRA_VALUE) {
        throw GraftException.invalidArgument("hyperparameters.extra[" + e.getKey() + "]", "INVALID_HYPERPARAMETER",
            "hyperparameters.extra[" + e.getKey() + "] is " + e.getValue().length() + " characters long; at most "
                + MAX_EXTRA_VALUE);
      }
    }
  }

  private static void range(int value, int max, String name) {
    if (value < 0 || value > max) {
      throw GraftException.invalidArgument("hyperparameters." + name, "INVALID_HYPERPARAMETER",
          name + " must be from 0 (the strategy default) to " + max + "; got " + value);
    }
  }

  private static void checkLabels(Map<String, String> labels) {
    if (labels.size() > MAX_LABELS) {
      throw GraftException.invalidArgument("labels", "INVALID_LABELS",
          "labels has " + labels.size() + " entries; at most " + MAX_LABELS);
    }
    for (var e : labels.entrySet()) {
      if (!LABEL_KEY.matcher(e.getKey()).matches()) {
        throw GraftException.invalidArgument("labels[" + Echo.cut(e.getKey()) + "]", "INVALID_LABELS",
            "label key " + Echo.quote(e.getKey()) + " is not a key: use 1 to 63 characters from A-Z, a-z, 0-9,"
                + " '_', '.', '-'");
      }
      if (e.getValue().length() > MAX_LABEL_VALUE) {
        throw GraftException.invalidArgument("labels[" + e.getKey() + "]", "INVALID_LABELS",
            "labels[" + e.getKey() + "] is " + e.getValue().length() + " characters long; at most " + MAX_LABEL_VALUE);
      }
    }
  }

  /** Refuses a feature layer the base model does not have, before a job exists (the strategy would, later). */
  private void checkLayer(ModelRecord base, String layer) {
    if (layer == null || layer.isBlank()) {
      return;
    }
    List<String> layers;
    try (var backbone = runtime.backbone(base, new DeviceSpec(DeviceSpec.CPU, 0, 0, 0))) {
      layers = backbone.get().layers();
    }
    if (!layers.contains(layer)) {
      throw GraftException.invalidArgument("hyperparameters.extra[layer]", "UNKNOWN_LAYER",
          "the base model " + base.ref() + " has no feature layer " + Echo.quote(layer) + "; it has "
              + Echo.cut(layers));
    }
  }

  private static void require(String value, String field) {
    if (value == null || value.isBlank()) {
      throw GraftException.invalidArgument(field, "MISSING_FIELD", field + " is required");
    }
  }
}
