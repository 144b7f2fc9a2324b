package dev.graft.plugins.trainingkit.baseline;

import dev.graft.plugins.trainingkit.scoring.Scores;
import dev.graft.spi.Example;
import dev.graft.spi.MetricValue;
import dev.graft.spi.Target;
import dev.graft.spi.Task;
import dev.graft.spi.TaskSpec;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * What the task costs without transfer, reported beside every classification and regression
 * model on the same validation split, so a user sees what the pretrained model bought:
 *
 * <ul>
 *   <li>classification: {@code baseline.majority.accuracy} (always the most frequent training
 *       label) and, where the inputs have a raw representation ({@link RawFeatures}: TF-IDF of
 *       text, small grey pixels of images), {@code baseline.logistic.accuracy} and {@code
 *       baseline.logistic.macro_f1} of a softmax regression on it;
 *   <li>regression: {@code baseline.mean.rmse} (always the training mean) and {@code
 *       baseline.ridge.rmse} / {@code baseline.ridge.mae} of a linear model on the raw features.
 * </ul>
 *
 * Forecasting keeps its own baselines ({@code ForecastBaselines}). At most {@value #MAX_ROWS}
 * training and validation rows (seeded samples) are used, so a baseline costs seconds. Stateless.
 */
public final class Baselines {
  static final int MAX_ROWS = 20_000;
  private static final String SPLIT = "validation";

  private Baselines() {}

  /** The baseline metrics on {@code validation}; empty without a validation split, or for other tasks. */
  public static List<MetricValue> metrics(TaskSpec task, List<Example> train, List<Example> validation, long seed) {
    if (validation.isEmpty() || train.isEmpty()
        || (task.task() != Task.CLASSIFICATION && task.task() != Task.REGRESSION)) {
      return List.of();
    }
    List<Example> fitted = sample(train, seed);
    List<Example> scored = sample(validation, seed + 1);
    List<MetricValue> out = new ArrayList<>();
    Optional<RawFeatures> features = RawFeatures.fit(fitted, task.task() == Task.CLASSIFICATION
        ? task.labels().size() : 1);
    if (task.task() == Task.CLASSIFICATION) {
      classification(task, fitted, scored, features, seed, out);
    } else {
      regression(fitted, scored, features, seed, out);
    }
    return out;
  }

  /**
   * A plain sentence when the model's validation score is worse than a baseline's ("…: a logistic
   * regression on TF-IDF of words and word pairs reaches 0.84 accuracy, this model 0.79"), or
   * empty when the model wins.
   */
  public static Optional<String> verdict(List<MetricValue> model, List<MetricValue> baselines, TaskSpec task) {
    boolean higherIsBetter = task.task() == Task.CLASSIFICATION;
    String metric = higherIsBetter ? "accuracy" : "rmse";
    Optional<MetricValue> mine = model.stream()
        .filter(m -> m.name().equals(metric) && m.split().equals(SPLIT)).findFirst();
    Optional<MetricValue> best = baselines.stream()
        .filter(m -> m.name().startsWith("baseline.") && m.name().endsWith("." + metric))
        .max((a, b) -> higherIsBetter ? Double.compare(a.value(), b.value()) : Double.compare(b.value(), a.value()));
    if (mine.isEmpty() || best.isEmpty()) {
      return Optional.empty();
    }
    double m = mine.get().value();
    double base = best.get().value();
    if (higherIsBetter ? m >= base : m <= base) {
      return Optional.empty();
    }
    return Optional.of(String.format(Locale.ROOT, "this model is worse than its baseline on the validation split:"
        + " %s reaches %s %.4f, the model %.4f; transfer did not pay off here (try another base model or strategy)",
        describe(best.get().name()), metric, base, m));
  }

  private static String describe(String metricName) {
    return switch (metricName.split("\\.")[1]) {
      case "majority" -> "always predicting the most frequent label";
      case "mean" -> "always predicting the training mean";
      case "logistic" -> "a logistic regression on the raw inputs";
      case "ridge" -> "a linear regression on the raw inputs";
      default -> metricName;
    };
  }

  private static void classification(TaskSpec task, List<Example> train, List<Example> validation,
      Optional<RawFeatures> features, long seed, List<MetricValue> out) {
    Map<String, Integer> index = new HashMap<>();
    for (String label : task.labels()) {
      index.put(label, index.size());
    }
    int k = index.size();
    long[] truth = new long[validation.size()];
    for (int i = 0; i < truth.length; i++) {
      truth[i] = index.getOrDefault(label(validation.get(i)), 0);
    }
    int[] counts = new int[k];
    float[] trainTargets = new float[train.size()];
    for (int i = 0; i < train.size(); i++) {
      int c = index.getOrDefault(label(train.get(i)), 0);
      counts[c]++;
      trainTargets[i] = c;
    }
    int majority = 0;
    for (int c = 1; c < k; c++) {
      if (counts[c] > counts[majority]) {
        majority = c;
      }
    }
    int[] constant = new int[truth.length];
    java.util.Arrays.fill(constant, majority);
    out.add(new MetricValue("baseline.majority.accuracy", Scores.accuracy(constant, truth), SPLIT, 0));
    if (features.isEmpty() || k < 2) {
      return;
    }
    LinearModel model = new LinearModel(features.get().dimension(), k, false);
    model.fit(features.get().rows(train), trainTargets, 0.5f, seed);
    List<RawFeatures.Row> rows = features.get().rows(validation);
    int[] predicted = new int[rows.size()];
    for (int i = 0; i < predicted.length; i++) {
      predicted[i] = rows.get(i) == null ? majority : model.predict(rows.get(i));
    }
    out.add(new MetricValue("baseline.logistic.accuracy", Scores.accuracy(predicted, truth), SPLIT, 0));
    out.add(new MetricValue("baseline.logistic.macro_f1", Scores.macroF1(predicted, truth, k), SPLIT, 0));
  }

  private static void regression(List<Example> train, List<Example> validation, Optional<RawFeatures> features,
      long seed, List<MetricValue> out) {
    float[] y = new float[train.size()];
    double mean = 0;
    for (int i = 0; i < y.length; i++) {
      y[i] = value(train.get(i));
      mean += y[i];
    }
    mean /= Math.max(1, y.length);
    double var = 0;
    for (float v : y) {
      var += (v - mean) * (v - mean);
    }
    double sd = Math.sqrt(var / Math.max(1, y.length));
    float[] truth = new float[validation.size()];
    float[] constant = new float[truth.length];
    for (int i = 0; i < truth.length; i++) {
      truth[i] = value(validation.get(i));
      constant[i] = (float) mean;
    }
    out.add(new MetricValue("baseline.mean.rmse", Scores.rmse(constant, truth), SPLIT, 0));
    if (features.isEmpty() || sd == 0) {
      return;
    }
    float[] standardized = new float[y.length];
    for (int i = 0; i < y.length; i++) {
      standardized[i] = (float) ((y[i] - mean) / sd);
    }
    LinearModel model = new LinearModel(features.get().dimension(), 1, true);
    model.fit(features.get().rows(train), standardized, 0.1f, seed);
    List<RawFeatures.Row> rows = features.get().rows(validation);
    float[] predicted = new float[rows.size()];
    float[] score = new float[1];
    for (int i = 0; i < predicted.length; i++) {
      if (rows.get(i) == null) {
        predicted[i] = (float) mean;
      } else {
        model.score(rows.get(i), score);
        predicted[i] = (float) (score[0] * sd + mean);
      }
    }
    out.add(new MetricValue("baseline.ridge.rmse", Scores.rmse(predicted, truth), SPLIT, 0));
    out.add(new MetricValue("baseline.ridge.mae", Scores.mae(predicted, truth), SPLIT, 0));
  }

  private static List<Example> sample(List<Example> train, long seed) {
    if (train.size() <= MAX_ROWS) {
      return train;
    }
    List<Example> copy = new ArrayList<>(train);
    java.util.Collections.shuffle(copy, new java.util.Random(seed));
    return copy.subList(0, MAX_ROWS);
  }

  private static String label(Example e) {
    return e.target() instanceof Target.Label l ? l.label() : "";
  }

  private static float value(Example e) {
    if (e.target() instanceof Target.Value v) {
      return v.value();
    }
    if (e.target() instanceof Target.Values v && v.values().length > 0) {
      return v.values()[0];
    }
    return 0;
  }
}
