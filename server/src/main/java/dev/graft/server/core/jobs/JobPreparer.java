package dev.graft.server.core.jobs;

import dev.graft.server.core.plugins.PluginRegistry;
import dev.graft.server.core.store.DatasetRecord;
import dev.graft.server.core.store.DatasetStore;
import dev.graft.server.core.store.ModelKind;
import dev.graft.server.core.store.ModelRecord;
import dev.graft.server.core.store.ModelStore;
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
import java.util.Optional;
import java.util.TreeSet;
import javax.inject.Inject;

/**
 * Checks a {@link TrainCommand} completely before a job exists, so that every mistake is
 * refused at once with the field at fault, and resolves it into a {@link PreparedJob}.
 */
public final class JobPreparer {
  private final ModelStore models;
  private final DatasetStore datasets;
  private final PluginRegistry plugins;
  private final JobAccess access;

  @Inject
  public JobPreparer(ModelStore models, DatasetStore datasets, PluginRegistry plugins, JobAccess access) {
    this.models = models;
    this.datasets = datasets;
    this.plugins = plugins;
    this.access = access;
  }

  PreparedJob prepare(TrainCommand c) {
    require(c.baseModel(), "base_model");
    require(c.strategy(), "strategy");
    require(c.outputModel(), "output_model");
    ModelStore.validateName(c.outputModel(), "output_model");
    JobAccess.checkOutputModel(models, c.outputModel(), c.principal());
    Hyperparameters h = c.hyperparameters();
    checkHyperparameters(h);
    access.checkResumeFrom(h.extra().get(JobAccess.RESUME_FROM), c.principal());
    if (c.validationSplit() < 0 || c.validationSplit() >= 1) {
      throw GraftException.invalidArgument("validation_split", "INVALID_VALIDATION_SPLIT",
          "validation_split must be in [0, 1), got " + c.validationSplit());
    }
    ModelRecord base = baseModel(c.baseModel());
    DomainPlugin domain = plugins.domain(base.domain());
    StrategyPlugin strategy = plugins.strategy(c.strategy());

    Data train = load(c.train(), "train", c.principal());
    Optional<Data> validation = c.validation().map(v -> load(v, "validation", c.principal()));
    validateInputs(domain, train.examples(), "train");
    validation.ifPresent(v -> validateInputs(domain, v.examples(), "validation"));

    TaskSpec task = taskSpec(c.task(), train.examples());
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
      splitKey = "split=" + fraction + ",seed=" + seed;
    }
    if (task.task() == Task.CLASSIFICATION) {
      for (Example e : validationSet) {
        String label = ((Target.Label) e.target()).label();
        if (task.indexOf(label) < 0) {
          throw GraftException.invalidArgument("validation", "UNKNOWN_LABEL",
              "validation label '" + label + "' does not occur in the training data " + task.labels());
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

  private static TaskSpec taskSpec(Task requested, List<Example> examples) {
    Task inferred = inferTask(examples);
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
      throw GraftException.invalidArgument("train", "TOO_FEW_CLASSES",
          "classification needs at least 2 classes; the training data has " + labels);
    }
    return new TaskSpec(task, List.copyOf(labels));
  }

  private static Task inferTask(List<Example> examples) {
    Task task = null;
    for (int i = 0; i < examples.size(); i++) {
      Target t = examples.get(i).target();
      Task current = t instanceof Target.Label ? Task.CLASSIFICATION
          : t instanceof Target.Value ? Task.REGRESSION : Task.FORECASTING;
      if (task != null && task != current) {
        throw GraftException.invalidArgument("train.examples[" + i + "].target", "MIXED_TARGETS",
            "example " + i + " has a " + current + " target but earlier ones are " + task);
      }
      task = current;
    }
    return task;
  }

  private static void checkHyperparameters(Hyperparameters h) {
    nonNegative(h.epochs(), "epochs");
    nonNegative(h.batchSize(), "batch_size");
    nonNegative(h.earlyStoppingPatience(), "early_stopping_patience");
    if (h.learningRate() < 0 || Float.isNaN(h.learningRate()) || h.learningRate() > 10) {
      throw GraftException.invalidArgument("hyperparameters.learning_rate", "INVALID_HYPERPARAMETER",
          "learning_rate must be in (0, 10], or 0 for the strategy default; got " + h.learningRate());
    }
    if (h.weightDecay() < 0 || Float.isNaN(h.weightDecay())) {
      throw GraftException.invalidArgument("hyperparameters.weight_decay", "INVALID_HYPERPARAMETER",
          "weight_decay must be ≥ 0; got " + h.weightDecay());
    }
  }

  private static void nonNegative(int value, String name) {
    if (value < 0) {
      throw GraftException.invalidArgument("hyperparameters." + name, "INVALID_HYPERPARAMETER",
          name + " must be ≥ 0 (0 = strategy default); got " + value);
    }
  }

  private static void require(String value, String field) {
    if (value == null || value.isBlank()) {
      throw GraftException.invalidArgument(field, "MISSING_FIELD", field + " is required");
    }
  }
}
