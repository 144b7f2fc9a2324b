package dev.graft.plugins.trainingkit;

import dev.graft.plugins.trainingkit.scoring.Scores;
import dev.graft.spi.MetricValue;
import java.util.ArrayList;
import java.util.List;

/**
 * An epoch's metrics, named as feature extraction names them: the training loss, and on the
 * validation split (or, without one, the training split) the loss and accuracy and macro F1
 * (classification) or MAE and RMSE on the targets' own scale (regression, forecasting); plus the
 * score early stopping compares (higher is better: accuracy, or −RMSE), and for classification
 * the confusion counts. Stateless.
 */
final class EpochMetrics {
  private EpochMetrics() {}

  /** Metrics and score of one epoch; confusion counts row-major true × predicted, or null. */
  record Result(List<MetricValue> metrics, double score, double loss, long[] confusion) {}

  /**
   * @param outputs the head's outputs for {@code scored} (logits or standardised values)
   * @param validate whether {@code scored} is the validation split
   */
  static Result of(int epoch, double trainLoss, double scoredLoss, float[] outputs,
      LabelledData scored, boolean validate) {
    List<MetricValue> metrics = new ArrayList<>();
    metrics.add(new MetricValue("loss", trainLoss, "train", epoch));
    String split = validate ? "validation" : "train";
    if (validate) {
      metrics.add(new MetricValue("loss", scoredLoss, split, epoch));
    }
    double score;
    long[] confusion = null;
    if (scored.classification()) {
      int[] predicted = Scores.argmax(outputs, scored.outputs());
      confusion = Scores.confusion(predicted, scored.classes(), scored.outputs());
      double accuracy = Scores.accuracy(predicted, scored.classes());
      metrics.add(new MetricValue("accuracy", accuracy, split, epoch));
      metrics.add(new MetricValue("macro_f1",
          Scores.macroF1(predicted, scored.classes(), scored.outputs()), split, epoch));
      score = accuracy;
    } else {
      float[] predicted = scored.scale().invert(outputs);
      if (scored.series() != null) {
        scored.series().unscaleInPlace(predicted, scored.outputs());
      }
      double rmse = Scores.rmse(predicted, scored.rawTargets());
      metrics.add(new MetricValue("mae", Scores.mae(predicted, scored.rawTargets()), split, epoch));
      metrics.add(new MetricValue("rmse", rmse, split, epoch));
      if (scored.series() != null) {
        metrics.add(new MetricValue("mase",
            scored.series().mase(predicted, scored.rawTargets(), scored.outputs()), split, epoch));
      }
      score = -rmse;
    }
    return new Result(metrics, score, validate ? scoredLoss : trainLoss, confusion);
  }
}
