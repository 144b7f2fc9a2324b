package dev.graft.spi;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a strategy returns: final metrics (validation split preferred), properties stored in the
 * model's manifest and handed back to {@link StrategyPlugin#load}, and, for a classifier, the
 * confusion matrix of the kept model on the split its final metrics were measured on (null when
 * the strategy computed none; since SPI 1.5). Immutable.
 */
public record TrainOutcome(
    List<MetricValue> metrics, Map<String, String> properties, ConfusionMatrix confusionMatrix) {
  public TrainOutcome {
    metrics = List.copyOf(metrics);
    properties = Map.copyOf(properties);
  }

  /** An outcome without a confusion matrix (what strategies built against SPI 1.4 return). */
  public TrainOutcome(List<MetricValue> metrics, Map<String, String> properties) {
    this(metrics, properties, null);
  }

  /** The confusion matrix, when the strategy stored one. */
  public Optional<ConfusionMatrix> confusion() {
    return Optional.ofNullable(confusionMatrix);
  }
}
