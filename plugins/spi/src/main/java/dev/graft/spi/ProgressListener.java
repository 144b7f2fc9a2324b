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

  /**
   * A named phase of the run begins: phase {@code index} of {@code count} (1-based), e.g. each
   * candidate head, or each trial of a search. After it, the epochs given to {@link #onStep} and
   * {@link #onEpoch} count from 1 within the phase (and {@code totalEpochs} is the phase's), while
   * steps keep counting over the whole run, so the job's fraction and ETA stay whole-run.
   * Single-phase strategies never call it.
   */
  default void onPhase(String name, int index, int count) {}
}
