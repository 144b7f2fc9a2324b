package dev.graft.server.core.estimate;

import dev.graft.plugins.trainingkit.baseline.FeatureProbe;
import dev.graft.plugins.trainingkit.scoring.LogMe;
import dev.graft.server.core.Echo;
import dev.graft.server.core.jobs.DataSplitter;
import dev.graft.server.core.jobs.JobAccess;
import dev.graft.server.core.jobs.JobPreparer;
import dev.graft.server.core.jobs.TrainCommand;
import dev.graft.server.core.plugins.PluginRegistry;
import dev.graft.server.core.store.DatasetRecord;
import dev.graft.server.core.store.DatasetStore;
import dev.graft.server.core.store.ModelKind;
import dev.graft.server.core.store.ModelRecord;
import dev.graft.server.core.store.ModelStore;
import dev.graft.spi.CancellationToken;
import dev.graft.spi.DomainPlugin;
import dev.graft.spi.Example;
import dev.graft.spi.GraftException;
import dev.graft.spi.Target;
import dev.graft.spi.Task;
import dev.graft.spi.TaskSpec;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.Random;
import java.util.Set;
import javax.inject.Inject;

/**
 * Ranks base models for labelled data before anything is trained (EstimateTransfer): for each
 * candidate, the frozen features of the data ({@link FrozenFeatures}: the feature cache, or the
 * backbone on the inference pool), their LogME score ({@link LogMe}) over all scored examples, and
 * the validation score of a quick linear probe ({@link FeatureProbe}) fitted on four fifths and
 * scored on the held-out fifth. The split is a default job's ({@link DataSplitter#DEFAULT_FRACTION},
 * {@link DataSplitter#DEFAULT_SEED}), so a feature-extraction job on the same dataset and base
 * reuses these features and the other way round. Data over {@code max_examples} is first sampled
 * (seeded); its features are cached under a key of their own.
 *
 * <p>Refusals, all before any feature is computed: {@code max_examples} outside 0 to
 * {@value #MAX_EXAMPLES} (INVALID_ARGUMENT {@code INVALID_MAX_EXAMPLES}); more than
 * {@value #MAX_BASE_MODELS} or repeated base models ({@code TOO_MANY_BASE_MODELS},
 * {@code DUPLICATE_BASE_MODEL}); an unknown dataset or model (NOT_FOUND {@code DATASET_NOT_FOUND},
 * {@code MODEL_NOT_FOUND}); a trained model (FAILED_PRECONDITION {@code BASE_MODEL_REQUIRED}); a base
 * of another domain than the data's (INVALID_ARGUMENT {@code DOMAIN_MISMATCH}); forecasting
 * ({@code TASK_NOT_SCORED}); fewer than {@value #MIN_EXAMPLES} examples ({@code TOO_FEW_EXAMPLES});
 * no base model of the data's domain (FAILED_PRECONDITION {@code NO_BASE_MODELS}). A cancelled call
 * or a passed deadline stops between batches (CANCELLED {@code CALL_CANCELLED}). Thread-safe.
 */
public final class TransferEstimator {
  public static final int DEFAULT_MAX_EXAMPLES = 2000;
  public static final int MAX_EXAMPLES = 20_000;
  public static final int MIN_EXAMPLES = 10;
  public static final int MAX_BASE_MODELS = 16;
  /** The probe is scored only on a held-out part at least this large. */
  static final int MIN_PROBE_ROWS = 5;

  private final ModelStore models;
  private final DatasetStore datasets;
  private final PluginRegistry plugins;
  private final JobAccess access;
  private final FrozenFeatures features;

  @Inject
  public TransferEstimator(ModelStore models, DatasetStore datasets, PluginRegistry plugins, JobAccess access,
      FrozenFeatures features) {
    this.models = models;
    this.datasets = datasets;
    this.plugins = plugins;
    this.access = access;
    this.features = features;
  }

  /** The candidates ranked best first; stops when {@code cancellation} says the call ended. */
  public EstimateResult estimate(EstimateCommand c, CancellationToken cancellation) {
    CancellationToken call = new CallCancellation(cancellation);
    int max = maxExamples(c.maxExamples());
    checkBaseNames(c.baseModels());
    Data data = load(c);
    TaskSpec task = JobPreparer.taskSpec(c.task(), data.examples(), "data");
    if (task.task() != Task.CLASSIFICATION && task.task() != Task.REGRESSION) {
      throw GraftException.invalidArgument("task", "TASK_NOT_SCORED", "EstimateTransfer scores classification and"
          + " regression data; " + task.task() + " is not scored (LogME needs one label or value per example)");
    }
    List<ModelRecord> bases = bases(c.baseModels(), data.domain());
    boolean sampled = data.examples().size() > max;
    List<Example> examples = sampled ? sample(data.examples(), max) : data.examples();
    if (examples.size() < MIN_EXAMPLES) {
      throw GraftException.invalidArgument("data", "TOO_FEW_EXAMPLES", "EstimateTransfer needs at least "
          + MIN_EXAMPLES + " examples; the data has " + examples.size());
    }
    DataSplitter.Split split = DataSplitter.split(examples, DataSplitter.DEFAULT_FRACTION, DataSplitter.DEFAULT_SEED);
    String splitKey = DataSplitter.key(DataSplitter.DEFAULT_FRACTION, DataSplitter.DEFAULT_SEED);
    Optional<String> dataKey = data.sha256().map(sha -> sampled
        ? sha + "|sample=" + examples.size() + ",seed=" + DataSplitter.DEFAULT_SEED + "|" + splitKey
        : sha + "|" + splitKey);
    Targets targets = Targets.of(task, split);
    List<TransferEstimate> out = new ArrayList<>();
    for (ModelRecord base : bases) {
      call.throwIfCancelled();
      out.add(estimate(base, dataKey, split, targets, call));
    }
    out.sort(Comparator.comparingDouble(TransferEstimate::logme).reversed());
    return new EstimateResult(out, task.task(), examples.size());
  }

  private TransferEstimate estimate(ModelRecord base, Optional<String> dataKey, DataSplitter.Split split,
      Targets targets, CancellationToken call) {
    long start = System.nanoTime();
    FrozenFeatures.Splits f = features.of(base, dataKey, split.train(), split.validation(), call);
    float[][] all = new float[f.train().length + f.validation().length][];
    System.arraycopy(f.train(), 0, all, 0, f.train().length);
    System.arraycopy(f.validation(), 0, all, f.train().length, f.validation().length);
    double logme;
    OptionalDouble probe = OptionalDouble.empty();
    try {
      logme = targets.logme(all);
      if (split.validation().size() >= MIN_PROBE_ROWS) {
        probe = OptionalDouble.of(targets.probe(f.train(), f.validation()));
      }
    } catch (IllegalArgumentException | ArithmeticException e) {
      throw GraftException.failedPrecondition("FEATURES_NOT_SCORABLE", "the features of " + base.ref()
          + " cannot be scored: " + e.getMessage());
    }
    return new TransferEstimate(base.ref(), logme, probe, all[0].length, (System.nanoTime() - start) / 1e9,
        f.cached());
  }

  private static List<Example> sample(List<Example> examples, int max) {
    List<Example> copy = new ArrayList<>(examples);
    Collections.shuffle(copy, new Random(DataSplitter.DEFAULT_SEED));
    return List.copyOf(copy.subList(0, max));
  }

  private static int maxExamples(int requested) {
    if (requested < 0 || requested > MAX_EXAMPLES) {
      throw GraftException.invalidArgument("max_examples", "INVALID_MAX_EXAMPLES",
          "max_examples must be from 0 (" + DEFAULT_MAX_EXAMPLES + ") to " + MAX_EXAMPLES + "; got " + requested);
    }
    return requested == 0 ? DEFAULT_MAX_EXAMPLES : requested;
  }

  private static void checkBaseNames(List<String> names) {
    if (names.size() > MAX_BASE_MODELS) {
      throw GraftException.invalidArgument("base_models", "TOO_MANY_BASE_MODELS",
          "base_models names " + names.size() + " models; at most " + MAX_BASE_MODELS + " per call");
    }
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < names.size(); i++) {
      if (names.get(i).isBlank()) {
        throw GraftException.invalidArgument("base_models[" + i + "]", "MISSING_FIELD", "base_models[" + i
            + "] is empty");
      }
      if (!seen.add(names.get(i))) {
        throw GraftException.invalidArgument("base_models[" + i + "]", "DUPLICATE_BASE_MODEL",
            "base_models names " + Echo.quote(names.get(i)) + " twice");
      }
    }
  }

  private record Data(List<Example> examples, String domain, Optional<String> sha256) {}

  private Data load(EstimateCommand c) {
    if (c.data() instanceof TrainCommand.DataRef.Dataset d) {
      if (d.idOrName().isBlank()) {
        throw GraftException.invalidArgument("data.dataset", "MISSING_FIELD", "data.dataset is required");
      }
      DatasetRecord record = datasets.get(d.idOrName());
      access.checkDataset(record, "data.dataset", c.principal());
      List<Example> examples = datasets.examples(record.id());
      String domain = record.domain().isEmpty() ? domainOf(examples) : record.domain();
      return new Data(examples, domain, Optional.of(record.sha256()));
    }
    List<Example> examples = ((TrainCommand.DataRef.Inline) c.data()).examples();
    if (examples.isEmpty()) {
      throw GraftException.invalidArgument("data.examples", "TOO_FEW_EXAMPLES", "data holds no examples");
    }
    String domain = domainOf(examples);
    DomainPlugin plugin = plugins.domain(domain);
    for (int i = 0; i < examples.size(); i++) {
      plugin.validate(examples.get(i).input(), "data.examples[" + i + "].input");
    }
    return new Data(examples, domain, Optional.empty());
  }

  /** The domain that reads the first example's kind of input. */
  private String domainOf(List<Example> examples) {
    var kind = examples.get(0).input().kind();
    return plugins.domains().entrySet().stream()
        .filter(e -> e.getValue().inputKinds().contains(kind))
        .map(Map.Entry::getKey).findFirst()
        .orElseThrow(() -> GraftException.invalidArgument("data.examples[0].input", "UNSUPPORTED_INPUT_KIND",
            "no domain reads " + kind + " inputs"));
  }

  private List<ModelRecord> bases(List<String> names, String domain) {
    if (names.isEmpty()) {
      Map<String, ModelRecord> latest = new LinkedHashMap<>();
      for (ModelRecord m : models.list()) {
        if (m.kind() == ModelKind.BASE && m.domain().equals(domain)) {
          latest.put(m.name(), m); // sorted by version: the last one wins
        }
      }
      if (latest.isEmpty()) {
        throw GraftException.failedPrecondition("NO_BASE_MODELS", "there is no base model of domain "
            + Echo.quote(domain) + " to rank");
      }
      return List.copyOf(latest.values());
    }
    List<ModelRecord> out = new ArrayList<>();
    for (int i = 0; i < names.size(); i++) {
      ModelRecord m = models.get(names.get(i));
      if (m.kind() != ModelKind.BASE) {
        throw GraftException.failedPrecondition("BASE_MODEL_REQUIRED", "base_models[" + i + "]: " + m.ref()
            + " is a trained model; rank base models (its base is " + m.baseModel() + ")");
      }
      if (!m.domain().equals(domain)) {
        throw GraftException.invalidArgument("base_models[" + i + "]", "DOMAIN_MISMATCH", "base_models[" + i
            + "]: " + m.ref() + " is a " + m.domain() + " model but the data is " + domain);
      }
      out.add(m);
    }
    return out;
  }

  /** The targets of both splits, in the order LogME and the probe see them (train, then validation). */
  private record Targets(TaskSpec task, int[] trainLabels, int[] validationLabels, double[] trainValues,
      double[] validationValues) {
    static Targets of(TaskSpec task, DataSplitter.Split split) {
      if (task.task() == Task.CLASSIFICATION) {
        return new Targets(task, labels(task, split.train()), labels(task, split.validation()), null, null);
      }
      return new Targets(task, null, null, values(split.train()), values(split.validation()));
    }

    double logme(float[][] all) {
      if (trainLabels != null) {
        int[] labels = new int[trainLabels.length + validationLabels.length];
        System.arraycopy(trainLabels, 0, labels, 0, trainLabels.length);
        System.arraycopy(validationLabels, 0, labels, trainLabels.length, validationLabels.length);
        return LogMe.classification(all, labels, task.labels().size());
      }
      double[][] y = new double[all.length][1];
      for (int i = 0; i < trainValues.length; i++) {
        y[i][0] = trainValues[i];
      }
      for (int i = 0; i < validationValues.length; i++) {
        y[trainValues.length + i][0] = validationValues[i];
      }
      return LogMe.regression(all, y);
    }

    double probe(float[][] train, float[][] validation) {
      return trainLabels != null
          ? FeatureProbe.accuracy(train, trainLabels, validation, validationLabels, task.labels().size(),
              DataSplitter.DEFAULT_SEED)
          : FeatureProbe.rSquared(train, trainValues, validation, validationValues, DataSplitter.DEFAULT_SEED);
    }

    private static int[] labels(TaskSpec task, List<Example> examples) {
      int[] out = new int[examples.size()];
      for (int i = 0; i < out.length; i++) {
        out[i] = task.indexOf(((Target.Label) examples.get(i).target()).label());
      }
      return out;
    }

    private static double[] values(List<Example> examples) {
      double[] out = new double[examples.size()];
      for (int i = 0; i < out.length; i++) {
        out[i] = ((Target.Value) examples.get(i).target()).value();
      }
      return out;
    }
  }

  /** The call's cancellation, said as a call's (not a job's). */
  private record CallCancellation(CancellationToken call) implements CancellationToken {
    @Override
    public boolean isCancelled() {
      return call.isCancelled();
    }

    @Override
    public void throwIfCancelled() {
      if (isCancelled()) {
        throw GraftException.cancelled("CALL_CANCELLED", "EstimateTransfer was cancelled or ran past its deadline");
      }
    }
  }
}
