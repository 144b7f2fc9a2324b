package dev.graft.plugins.featureextraction;

import dev.graft.plugins.trainingkit.scoring.Scores;
import dev.graft.spi.MetricValue;
import java.util.ArrayList;
import java.util.List;

/**
 * The metrics an epoch reports: the training loss, and on the validation split (or, without
 * one, the training split) the loss, accuracy and macro F1 for classification or MAE and RMSE
 * (on the targets' own scale) for regression. Stateless and thread-safe.
 */
final class EpochMetrics {
  private EpochMetrics() {}

  /**
   * @param outputs the head's outputs for {@code scored}: logits, or standardised values
   * @param validate whether {@code scored} is the validation split
   * @param targetScale the targets' standardisation (regression), else null
   */
  static List<MetricValue> of(
      int epoch,
      double trainLoss,
      double scoredLoss,
      float[] outputs,
      HeadData scored,
      boolean validate,
      int k,
      Standardizer targetScale) {
    List<MetricValue> metrics = new ArrayList<>();
    metrics.add(new MetricValue("loss", trainLoss, "train", epoch));
    String split = validate ? "validation" : "train";
    if (validate) {
      metrics.add(new MetricValue("loss", scoredLoss, split, epoch));
    }
    if (scored.classification()) {
      int[] predicted = Scores.argmax(outputs, k);
      long[] truth = scored.classes();
      metrics.add(new MetricValue("accuracy", Scores.accuracy(predicted, truth), split, epoch));
      metrics.add(new MetricValue("macro_f1", Scores.macroF1(predicted, truth, k), split, epoch));
    } else {
      float[] predicted = outputs.clone();
      targetScale.invertInPlace(predicted);
      if (scored.series() != null) {
        scored.series().unscaleInPlace(predicted, scored.outputs());
      }
      float[] truth = scored.rawTargets();
      metrics.add(new MetricValue("mae", Scores.mae(predicted, truth), split, epoch));
      metrics.add(new MetricValue("rmse", Scores.rmse(predicted, truth), split, epoch));
      if (scored.series() != null) {
        metrics.add(new MetricValue(
            "mase", scored.series().mase(predicted, truth, scored.outputs()), split, epoch));
      }
    }
    return metrics;
  }

  /** The same metrics stamped epoch 0, which marks a model's final metrics. */
  static List<MetricValue> asFinal(List<MetricValue> metrics) {
    List<MetricValue> out = new ArrayList<>();
    for (MetricValue m : metrics) {
      out.add(new MetricValue(m.name(), m.value(), m.split(), 0));
    }
    return out;
  }
}
