package dev.graft.plugins.featureextraction;

import dev.graft.plugins.trainingkit.scoring.SeriesTargets;
import dev.graft.spi.Example;
import dev.graft.spi.FeatureRequest;
import dev.graft.spi.GraftException;
import dev.graft.spi.ModelInput;
import dev.graft.spi.Task;
import dev.graft.spi.TaskSpec;
import dev.graft.spi.TrainContext;
import java.util.ArrayList;
import java.util.List;

/**
 * A job's examples made ready for a head: targets read and checked, features fetched through
 * the server's feature cache (computed by the backbone on a miss) and standardised with the
 * training set's statistics. Immutable by convention.
 *
 * @param train the training split
 * @param validation the validation split, or null when the job has none
 * @param featureScale the training features' per-dimension mean and std
 * @param targetScale the training targets' mean and std (regression, forecasting), else null
 * @param dimension the feature dimension
 * @param outputs the head's output width
 */
record PreparedData(
    HeadData train,
    HeadData validation,
    Standardizer featureScale,
    Standardizer targetScale,
    int dimension,
    int outputs) {

  /**
   * Prepares the context's data. Targets are checked before the (slow) embedding pass, so bad
   * data fails at once.
   *
   * @throws GraftException FAILED_PRECONDITION for an empty training set or fewer than 2 labels;
   *     INVALID_ARGUMENT naming the example for a bad target or input; CANCELLED when cancelled
   */
  static PreparedData prepare(TrainContext context, FeatureRequest request) {
    TaskSpec task = context.task();
    List<Example> trainSet = context.trainSet();
    List<Example> validationSet = context.validationSet();
    if (trainSet.isEmpty()) {
      throw GraftException.failedPrecondition("EMPTY_TRAINING_SET", "the training set is empty");
    }
    boolean classification = task.task() == Task.CLASSIFICATION;
    if (classification && task.labels().size() < 2) {
      throw GraftException.failedPrecondition(
          "TOO_FEW_CLASSES", "classification needs at least 2 labels, got " + task.labels());
    }
    int outputs = classification
        ? task.labels().size()
        : Targets.outputWidth(trainSet, task.task());
    long[] trainClasses = null;
    long[] validationClasses = null;
    float[][] trainValues = null;
    float[][] validationValues = null;
    if (classification) {
      trainClasses = Targets.classIndices(trainSet, task, "train");
      validationClasses = Targets.classIndices(validationSet, task, "validation");
    } else {
      trainValues = Targets.values(trainSet, outputs, "train");
      validationValues = Targets.values(validationSet, outputs, "validation");
    }

    FeatureComputer computer =
        new FeatureComputer(context.backbone(), context.cancellation(), context.progress());
    float[][] trainFeatures = context.cachedFeatures(
        "train", request, () -> computer.compute("train", inputs(trainSet), request));
    float[][] validationFeatures = validationSet.isEmpty()
        ? new float[0][]
        : context.cachedFeatures("validation", request,
            () -> computer.compute("validation", inputs(validationSet), request));
    int d = dimension(trainFeatures, trainSet.size(), validationFeatures, validationSet.size());

    Standardizer featureScale = Standardizer.fit(trainFeatures, d);
    boolean scaleWindows = task.task() == Task.FORECASTING
        && SeriesTargets.enabled(context.hyperparameters());
    SeriesTargets trainSeries = scaleWindows ? SeriesTargets.of(trainSet) : null;
    SeriesTargets validationSeries = trainSeries == null ? null : SeriesTargets.of(validationSet);
    if (validationSeries == null) {
      trainSeries = null;
    }
    Standardizer targetScale = classification
        ? null
        : Standardizer.fit(trainSeries == null ? trainValues
            : trainSeries.scale(copy(trainValues)), outputs);
    HeadData train = split(trainFeatures, d, outputs, featureScale, targetScale, trainValues,
        trainClasses, trainSeries);
    HeadData validation = validationSet.isEmpty()
        ? null
        : split(validationFeatures, d, outputs, featureScale, targetScale, validationValues,
            validationClasses, validationSeries);
    return new PreparedData(train, validation, featureScale, targetScale, d, outputs);
  }

  private static HeadData split(
      float[][] features,
      int d,
      int outputs,
      Standardizer featureScale,
      Standardizer targetScale,
      float[][] values,
      long[] classes,
      SeriesTargets series) {
    float[] x = featureScale.applyFlat(features);
    if (classes != null) {
      return new HeadData(x, features.length, d, outputs, classes, null, null, null);
    }
    float[] raw = new float[values.length * outputs];
    for (int i = 0; i < values.length; i++) {
      System.arraycopy(values[i], 0, raw, i * outputs, outputs);
    }
    float[][] scaled = series == null ? values : series.scale(copy(values));
    return new HeadData(
        x, features.length, d, outputs, null, targetScale.applyFlat(scaled), raw, series);
  }

  private static float[][] copy(float[][] rows) {
    float[][] out = new float[rows.length][];
    for (int i = 0; i < rows.length; i++) {
      out[i] = rows[i].clone();
    }
    return out;
  }

  private static int dimension(
      float[][] train, int trainSize, float[][] validation, int validationSize) {
    if (train == null || train.length != trainSize
        || validation == null || validation.length != validationSize) {
      throw GraftException.internal(
          "BACKBONE_FAILED", "the feature cache returned another number of vectors than examples",
          null);
    }
    FeatureComputer.requireSameDimension(train);
    FeatureComputer.requireSameDimension(validation);
    int d = train[0].length;
    if (validation.length > 0 && validation[0].length != d) {
      throw GraftException.internal(
          "BACKBONE_FAILED", "train and validation features differ in dimension", null);
    }
    if ((long) trainSize * d > Integer.MAX_VALUE || (long) validationSize * d > Integer.MAX_VALUE) {
      throw GraftException.resourceExhausted(
          "TOO_MANY_FEATURES", "the data set is too large to hold its features in memory");
    }
    return d;
  }

  private static List<ModelInput> inputs(List<Example> examples) {
    List<ModelInput> inputs = new ArrayList<>(examples.size());
    for (Example e : examples) {
      inputs.add(e.input());
    }
    return inputs;
  }
}
