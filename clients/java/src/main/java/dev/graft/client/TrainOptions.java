package dev.graft.client;

import dev.graft.api.v1.DataSource;
import dev.graft.api.v1.Example;
import dev.graft.api.v1.Hyperparameters;
import dev.graft.api.v1.InlineExamples;
import dev.graft.api.v1.Task;
import dev.graft.api.v1.TrainRequest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What to train, with typed setters: the base model, the strategy, the output model, the data,
 * and the hyperparameters. Unset numbers mean "the strategy's default" (the server's zero).
 *
 * <pre>{@code
 * Job job = graft.train(TrainOptions.builder("minilm-l6", Strategy.FEATURE_EXTRACTION, "reviews")
 *     .dataset(data.getId())
 *     .validationSplit(0.25)
 *     .epochs(30)
 *     .seed(7)
 *     .build());
 * }</pre>
 *
 * {@link Builder#build()} checks what it can before any call: the required fields (training data
 * included), and ranges ({@code validationSplit} in [0, 1), counts and rates not negative).
 * {@link #toRequest()} is the {@link TrainRequest} sent.
 */
public final class TrainOptions {
  /** The built-in strategies; a plugin's strategy is given by its id ({@link Builder#strategy(String)}). */
  public enum Strategy {
    /** A head on the frozen base model's features. */
    FEATURE_EXTRACTION("feature-extraction"),
    /** A smaller student model distilled from the base. */
    KNOWLEDGE_TRANSFER("knowledge-transfer"),
    /** The base model's weights trained too. */
    FINE_TUNING("fine-tuning");

    private final String id;

    Strategy(String id) {
      this.id = id;
    }

    /** The id the API takes, e.g. {@code feature-extraction}. */
    public String id() {
      return id;
    }
  }

  private final TrainRequest request;

  private TrainOptions(TrainRequest request) {
    this.request = request;
  }

  /** A builder with the three required names; the training data ({@code dataset} or {@code examples}) is required too. */
  public static Builder builder(String baseModel, Strategy strategy, String outputModel) {
    return new Builder().baseModel(baseModel).strategy(strategy).outputModel(outputModel);
  }

  /** A builder with a strategy given by id (a plugin's, or a built-in's). */
  public static Builder builder(String baseModel, String strategy, String outputModel) {
    return new Builder().baseModel(baseModel).strategy(strategy).outputModel(outputModel);
  }

  /** The request {@link GraftClient#train(TrainOptions)} sends. */
  public TrainRequest toRequest() {
    return request;
  }

  public String baseModel() {
    return request.getBaseModel();
  }

  public String strategy() {
    return request.getStrategy();
  }

  public String outputModel() {
    return request.getOutputModel();
  }

  @Override
  public String toString() {
    return "TrainOptions{" + request.toString().replace('\n', ' ').trim() + "}";
  }

  /** Typed setters for every field of a training request. Not thread-safe. */
  public static final class Builder {
    private String baseModel = "";
    private String strategy = "";
    private String outputModel = "";
    private DataSource train;
    private DataSource validation;
    private double validationSplit;
    private Task task = Task.TASK_UNSPECIFIED;
    private int epochs;
    private int batchSize;
    private double learningRate;
    private double weightDecay;
    private int earlyStoppingPatience;
    private long seed;
    private final Map<String, String> extra = new LinkedHashMap<>();
    private String devicePool = "";
    private int priority;
    private final Map<String, String> labels = new LinkedHashMap<>();

    private Builder() {}

    /** The base model to start from, e.g. {@code minilm-l6}. */
    public Builder baseModel(String name) {
      this.baseModel = Objects.requireNonNull(name, "baseModel");
      return this;
    }

    public Builder strategy(Strategy strategy) {
      this.strategy = Objects.requireNonNull(strategy, "strategy").id();
      return this;
    }

    /** A strategy by id: {@code feature-extraction}, {@code knowledge-transfer}, {@code fine-tuning} or a plugin's. */
    public Builder strategy(String id) {
      this.strategy = Objects.requireNonNull(id, "strategy");
      return this;
    }

    /** The name of the model to produce (a new version when it exists). */
    public Builder outputModel(String name) {
      this.outputModel = Objects.requireNonNull(name, "outputModel");
      return this;
    }

    /** Train on an uploaded dataset (id or name). */
    public Builder dataset(String idOrName) {
      this.train = DataSource.newBuilder().setDataset(Objects.requireNonNull(idOrName, "dataset")).build();
      return this;
    }

    /** Train on examples sent with the request (small jobs), e.g. {@code Inputs.labelled("great", "positive")}. */
    public Builder examples(List<Example> examples) {
      this.train = inline(examples);
      return this;
    }

    /** Validate on an uploaded dataset instead of a split of the training data. */
    public Builder validationDataset(String idOrName) {
      this.validation = DataSource.newBuilder().setDataset(Objects.requireNonNull(idOrName, "validationDataset")).build();
      return this;
    }

    /** Validate on these examples instead of a split of the training data. */
    public Builder validationExamples(List<Example> examples) {
      this.validation = inline(examples);
      return this;
    }

    /** The fraction of the training data held out for validation, in [0, 1); 0 = none or the strategy's default. */
    public Builder validationSplit(double fraction) {
      this.validationSplit = fraction;
      return this;
    }

    /** The task; inferred from the targets when not set. */
    public Builder task(Task task) {
      this.task = Objects.requireNonNull(task, "task");
      return this;
    }

    public Builder epochs(int epochs) {
      this.epochs = epochs;
      return this;
    }

    public Builder batchSize(int batchSize) {
      this.batchSize = batchSize;
      return this;
    }

    public Builder learningRate(double learningRate) {
      this.learningRate = learningRate;
      return this;
    }

    public Builder weightDecay(double weightDecay) {
      this.weightDecay = weightDecay;
      return this;
    }

    /** Epochs without improvement of the validation metric before stopping. */
    public Builder earlyStoppingPatience(int epochs) {
      this.earlyStoppingPatience = epochs;
      return this;
    }

    /** The random seed (shuffling, initialisation, the validation split), for repeatable runs. */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    /** A strategy- or domain-specific option (see the strategy's documentation). */
    public Builder extra(String key, String value) {
      extra.put(Objects.requireNonNull(key, "extra key"), Objects.requireNonNull(value, "extra value"));
      return this;
    }

    /** The device pool to run on (e.g. {@code gpu}); the server's default pool when not set. */
    public Builder devicePool(String pool) {
      this.devicePool = Objects.requireNonNull(pool, "devicePool");
      return this;
    }

    /** Higher runs first among queued jobs of a pool. */
    public Builder priority(int priority) {
      this.priority = priority;
      return this;
    }

    /** A label on the job (listing filters use them). */
    public Builder label(String key, String value) {
      labels.put(Objects.requireNonNull(key, "label key"), Objects.requireNonNull(value, "label value"));
      return this;
    }

    /**
     * The options. Throws {@link IllegalStateException} naming every required field that is
     * missing, or {@link IllegalArgumentException} naming a value out of range.
     */
    public TrainOptions build() {
      List<String> missing = new ArrayList<>();
      if (baseModel.isBlank()) {
        missing.add("baseModel");
      }
      if (strategy.isBlank()) {
        missing.add("strategy");
      }
      if (outputModel.isBlank()) {
        missing.add("outputModel");
      }
      if (train == null) {
        missing.add("training data (dataset or examples)");
      }
      if (!missing.isEmpty()) {
        throw new IllegalStateException("TrainOptions: missing " + String.join(", ", missing));
      }
      if (!(validationSplit >= 0 && validationSplit < 1)) {
        throw new IllegalArgumentException("TrainOptions: validationSplit must be in [0, 1), got " + validationSplit);
      }
      if (validation != null && validationSplit > 0) {
        throw new IllegalArgumentException("TrainOptions: give validation data or a validationSplit, not both");
      }
      notNegative("epochs", epochs);
      notNegative("batchSize", batchSize);
      notNegative("earlyStoppingPatience", earlyStoppingPatience);
      notNegative("learningRate", learningRate);
      notNegative("weightDecay", weightDecay);
      TrainRequest.Builder r = TrainRequest.newBuilder()
          .setBaseModel(baseModel)
          .setStrategy(strategy)
          .setOutputModel(outputModel)
          .setTask(task)
          .setTrain(train)
          .setValidationSplit((float) validationSplit)
          .setHyperparameters(Hyperparameters.newBuilder()
              .setEpochs(epochs)
              .setBatchSize(batchSize)
              .setLearningRate((float) learningRate)
              .setWeightDecay((float) weightDecay)
              .setEarlyStoppingPatience(earlyStoppingPatience)
              .setSeed(seed)
              .putAllExtra(extra))
          .setDevicePool(devicePool)
          .setPriority(priority)
          .putAllLabels(labels);
      if (validation != null) {
        r.setValidation(validation);
      }
      return new TrainOptions(r.build());
    }

    private static DataSource inline(List<Example> examples) {
      Objects.requireNonNull(examples, "examples");
      if (examples.isEmpty()) {
        throw new IllegalArgumentException("TrainOptions: examples is empty");
      }
      return DataSource.newBuilder().setExamples(InlineExamples.newBuilder().addAllExamples(examples)).build();
    }

    private static void notNegative(String name, double value) {
      if (!(value >= 0) || Double.isInfinite(value)) {
        throw new IllegalArgumentException("TrainOptions: " + name + " must be a finite number >= 0, got " + value);
      }
    }
  }
}
