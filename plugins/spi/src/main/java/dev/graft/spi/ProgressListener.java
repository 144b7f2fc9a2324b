package dev.graft.spi;

import java.util.List;

/**
 * Where a strategy reports progress. Calls are cheap and never block on clients; call them from
 * the training thread.
 */
public interface ProgressListener {

  /** A step finished: {@code step} of {@code totalSteps} over the whole run (both 1-based). */
  void onStep(int epoch, int totalEpochs, long step, long totalSteps, double loss);

  /** An epoch finished with these metrics. */
  void onEpoch(int epoch, int totalEpochs, List<MetricValue> metrics);

  /** A human-readable line ("computing embeddings 640/1600"). */
  void onMessage(String message);
}
