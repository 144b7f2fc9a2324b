package dev.graft.spi;

import java.util.List;
import java.util.Map;

/**
 * What a strategy returns: final metrics (validation split preferred) and properties stored in the
 * model's manifest and handed back to {@link StrategyPlugin#load}. Immutable.
 */
public record TrainOutcome(List<MetricValue> metrics, Map<String, String> properties) {
  public TrainOutcome {
    metrics = List.copyOf(metrics);
    properties = Map.copyOf(properties);
  }
}
