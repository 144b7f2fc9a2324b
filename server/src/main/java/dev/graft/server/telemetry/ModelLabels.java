package dev.graft.server.telemetry;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Bounds the model label of per-model metrics: the first {@code max} model names seen get their
 * own series, later ones share {@value #OTHER}. A store with thousands of models then cannot make
 * a scrape (or Prometheus) unboundedly large. Thread-safe.
 */
public final class ModelLabels {
  public static final String OTHER = "_other";

  private final int max;
  private final Set<String> known = ConcurrentHashMap.newKeySet();

  public ModelLabels(int max) {
    this.max = max;
  }

  /** The label value to record {@code model} under. */
  public String of(String model) {
    if (known.contains(model)) {
      return model;
    }
    synchronized (this) {
      if (known.size() < max) {
        known.add(model);
        return model;
      }
    }
    return OTHER;
  }
}
