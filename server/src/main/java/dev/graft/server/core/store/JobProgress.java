package dev.graft.server.core.store;

/**
 * How far a job got. Immutable.
 *
 * @param fraction 0..1 over the whole job
 * @param etaMillis the estimated time left, or 0 when unknown
 */
public record JobProgress(int epoch, int totalEpochs, long step, long totalSteps, double fraction, long etaMillis) {

  /** No progress yet. */
  public static JobProgress none() {
    return new JobProgress(0, 0, 0, 0, 0, 0);
  }
}
