package dev.graft.plugins.featureextraction;

import dev.graft.plugins.trainingkit.baseline.Baselines;
import dev.graft.plugins.trainingkit.scoring.ForecastBaselines;
import dev.graft.plugins.trainingkit.scoring.SeriesTargets;
import dev.graft.spi.Backbone;
import dev.graft.spi.ConfusionMatrix;
import dev.graft.spi.FeatureRequest;
import dev.graft.spi.GraftException;
import dev.graft.spi.Hyperparameters;
import dev.graft.spi.LoadContext;
import dev.graft.spi.MetricValue;
import dev.graft.spi.Pooling;
import dev.graft.spi.StrategyPlugin;
import dev.graft.spi.Task;
import dev.graft.spi.TaskSpec;
import dev.graft.spi.TrainContext;
import dev.graft.spi.TrainOutcome;
import dev.graft.spi.TrainedModel;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The {@code feature-extraction} strategy: the backbone stays frozen; its features (computed once
 * per split through the server's feature cache, then standardised) train a small head — linear,
 * or one hidden ReLU layer — on DJL's PyTorch engine. Supports classification (softmax
 * cross-entropy), regression and forecasting (mean squared error on standardised targets; a
 * forecast is a multi-output regression over the horizon).
 *
 * <p>Options in {@code hyperparameters.extra}: {@code hidden}, {@code dropout}, {@code pooling},
 * {@code normalize}, {@code layer} (see {@link HeadOptions}), and {@code max_non_finite_steps}
 * (default 3, from 1 to 1000): a step whose loss or gradient is not finite is skipped and
 * counted, and that many in a row fail the job with {@code FAILED_PRECONDITION}
 * {@code NON_FINITE_GRADIENTS} naming the parameter. Defaults for the generic settings: see
 * {@link TrainingSettings}.
 *
 * <p>Thread-safety: stateless; {@link #train} runs concurrently for different jobs. Ownership:
 * never closes a backbone; the caller closes the {@link TrainedModel} from {@link #load}.
 */
public final class FeatureExtractionStrategy implements StrategyPlugin {
  /** The strategy id. */
  public static final String ID = "feature-extraction";

  /** For {@link java.util.ServiceLoader}. */
  public FeatureExtractionStrategy() {}

  @Override
  public String id() {
    return ID;
  }

  @Override
  public void validate(Hyperparameters hyperparameters, TaskSpec task) {
    HeadOptions.parse(hyperparameters);
    TrainingSettings.from(hyperparameters);
    SeriesTargets.enabled(hyperparameters);
    SeriesTargets.seasonLength(hyperparameters);
    if (task == null || task.task() == null) {
      throw GraftException.invalidArgument("task", "TASK_NOT_SUPPORTED", "the job has no task");
    }
  }

  @Override
  public TrainOutcome train(TrainContext context) {
    TaskSpec task = context.task();
    validate(context.hyperparameters(), task);
    HeadOptions options = HeadOptions.parse(context.hyperparameters());
    TrainingSettings settings = TrainingSettings.from(context.hyperparameters());
    FeatureRequest request = resolve(options, context.backbone());
    PreparedData data = PreparedData.prepare(context, request);

    List<HeadArchitecture> candidates =
        options.candidates(data.dimension(), data.outputs(), data.validation() != null);
    HeadTrainer trainer = new HeadTrainer(settings, data.targetScale(), context.device(),
        context.progress(), context.cancellation(), candidates.size());
    List<HeadTrainer.Candidate> trained = new ArrayList<>();
    for (HeadArchitecture architecture : candidates) {
      if (candidates.size() > 1) {
        context.progress().onPhase(
            architecture.describe() + " head", trained.size() + 1, candidates.size());
      }
      trained.add(trainer.train(architecture, data.train(), data.validation()));
    }
    HeadTrainer.Candidate best = trained.get(0);
    for (HeadTrainer.Candidate c : trained) {
      if (c.bestLoss() < best.bestLoss()) {
        best = c;
      }
    }
    if (trained.size() > 1) {
      context.progress().onMessage(
          "kept " + best.architecture().describe() + " (" + summary(trained) + ")");
    }
    HeadWeights.save(
        best.architecture(), best.weights(), context.device(), context.outputDirectory());
    HeadSpec spec = spec(task, request, data, best, trainer.epochsRun());
    try {
      spec.write(context.outputDirectory());
    } catch (IOException e) {
      throw GraftException.internal(
          "HEAD_SAVE_FAILED", "cannot write head.json: " + e.getMessage(), e);
    }
    Map<String, String> properties = properties(spec, settings);
    if (trained.size() > 1) {
      properties.put("candidates", summary(trained));
    }
    List<MetricValue> metrics = new ArrayList<>(best.metrics());
    if (data.train().series() != null) {
      properties.put(SeriesTargets.SERIES_SCALING, "window");
      boolean validate = data.validation() != null;
      HeadData scored = validate ? data.validation() : data.train();
      int season = SeriesTargets.seasonLength(context.hyperparameters());
      if (season == 0) {
        season = ForecastBaselines.detectSeason(context.trainSet());
      }
      properties.put(SeriesTargets.SEASON_LENGTH, Integer.toString(season));
      metrics.addAll(ForecastBaselines.metrics(
          validate ? context.validationSet() : context.trainSet(), scored.rawTargets(),
          scored.outputs(), season, scored.series(), validate ? "validation" : "train"));
    }
    List<MetricValue> baselines = Baselines.metrics(task, context.trainSet(), context.validationSet(),
        settings.seed());
    metrics.addAll(baselines);
    Baselines.verdict(metrics, baselines, task).ifPresent(context.progress()::onMessage);
    return new TrainOutcome(metrics, properties, confusion(task, best,
        data.validation() != null && data.validation().size() > 0));
  }

  /** The kept head's confusion matrix on the split its final metrics came from; null unless classifying. */
  private static ConfusionMatrix confusion(TaskSpec task, HeadTrainer.Candidate best, boolean validated) {
    if (best.confusion() == null || task.task() != Task.CLASSIFICATION) {
      return null;
    }
    return new ConfusionMatrix(task.labels(), best.confusion(), validated ? "validation" : "train");
  }

  private static HeadSpec spec(TaskSpec task, FeatureRequest request, PreparedData data,
      HeadTrainer.Candidate best, int epochsRun) {
    Standardizer features = data.featureScale();
    Standardizer targets = data.targetScale();
    return new HeadSpec(
        HeadSpec.FORMAT,
        task.task(),
        task.task() == Task.CLASSIFICATION ? task.labels() : List.of(),
        data.outputs(),
        best.architecture(),
        new HeadSpec.Features(request.layer(), request.pooling(), request.normalize(),
            features.mean(), features.std()),
        targets == null ? null : new HeadSpec.Scale(targets.mean(), targets.std()),
        best.bestEpoch(),
        epochsRun,
        HeadWeights.PREFIX);
  }

  @Override
  public TrainedModel load(LoadContext context) {
    return FeatureExtractionModel.load(context);
  }

  /** The request with the backbone's defaults made explicit, so the stored head names them. */
  private static FeatureRequest resolve(HeadOptions options, Backbone backbone) {
    List<String> layers = backbone.layers();
    String layer = options.layer();
    if (layer.isEmpty()) {
      layer = layers.isEmpty() ? "" : backbone.defaultLayer();
    } else if (!layers.contains(layer)) {
      throw GraftException.invalidArgument(
          "hyperparameters.extra[layer]",
          "UNKNOWN_LAYER",
          "the base model has no feature layer '" + layer + "'; it has " + layers);
    }
    Pooling pooling =
        options.pooling() == Pooling.DEFAULT ? backbone.defaultPooling() : options.pooling();
    return new FeatureRequest(layer, pooling, options.normalize());
  }

  /** "linear 384->3: 0.4123; mlp 384->256->3 dropout 0.5: 0.3811" (validation losses). */
  private static String summary(List<HeadTrainer.Candidate> trained) {
    StringBuilder b = new StringBuilder();
    for (HeadTrainer.Candidate c : trained) {
      if (b.length() > 0) {
        b.append("; ");
      }
      b.append(c.architecture().describe())
          .append(String.format(Locale.ROOT, ": validation loss %.4f", c.bestLoss()));
    }
    return b.toString();
  }

  private static Map<String, String> properties(HeadSpec spec, TrainingSettings settings) {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("head", spec.architecture().describe());
    p.put("best_epoch", Integer.toString(spec.bestEpoch()));
    p.put("epochs_trained", Integer.toString(spec.epochsTrained()));
    p.put("feature_layer", spec.features().layer());
    p.put("pooling", spec.features().pooling().name().toLowerCase(Locale.ROOT));
    p.put("normalize", Boolean.toString(spec.features().normalize()));
    p.put("outputs", Integer.toString(spec.outputs()));
    p.put("seed", Long.toString(settings.seed()));
    return p;
  }
}
