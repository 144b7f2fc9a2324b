package dev.graft.spi;

import java.util.Map;

/**
 * Training settings as the client sent them; zero means "strategy default". {@code extra}
 * carries strategy- or domain-specific options, which the strategy validates. Immutable.
 */
public record Hyperparameters(
    int epochs,
    int batchSize,
    float learningRate,
    float weightDecay,
    int earlyStoppingPatience,
    long seed,
    Map<String, String> extra) {

  public Hyperparameters {
    extra = Map.copyOf(extra);
  }

  public int epochsOr(int fallback) {
    return epochs > 0 ? epochs : fallback;
  }

  public int batchSizeOr(int fallback) {
    return batchSize > 0 ? batchSize : fallback;
  }

  public float learningRateOr(float fallback) {
    return learningRate > 0 ? learningRate : fallback;
  }

  public float weightDecayOr(float fallback) {
    return weightDecay > 0 ? weightDecay : fallback;
  }

  public int patienceOr(int fallback) {
    return earlyStoppingPatience > 0 ? earlyStoppingPatience : fallback;
  }

  public long seedOr(long fallback) {
    return seed != 0 ? seed : fallback;
  }

  /** An {@code extra} value, or {@code fallback} when absent. */
  public String extra(String key, String fallback) {
    return extra.getOrDefault(key, fallback);
  }
}
