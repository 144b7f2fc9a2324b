package dev.graft.server.core.store;

/**
 * How far a job got. Immutable.
 *
 * @param epoch 1-based within the current phase, if any
 * @param totalEpochs of the current phase, if any
 * @param fraction 0..1 over the whole job
 * @param etaMillis the estimated time left, or 0 when unknown
 * @param phase the current phase's name, "" for a single-phase job
 * @param phaseIndex 1-based, 0 without phases
 * @param phaseCount 0 without phases
 */
public record JobProgress(int epoch, int totalEpochs, long step, long totalSteps, double fraction, long etaMillis,
    String phase, int phaseIndex, int phaseCount) {

  public JobProgress {
    phase = Copies.text(phase);
  }

  /** Progress of a job without phases. */
  public JobProgress(int epoch, int totalEpochs, long step, long totalSteps, double fraction, long etaMillis) {
    this(epoch, totalEpochs, step, totalSteps, fraction, etaMillis, "", 0, 0);
  }

  /** No progress yet. */
  public static JobProgress none() {
    return new JobProgress(0, 0, 0, 0, 0, 0);
  }

  /** This progress at the end of a job that succeeded: all done (an early stop leaves steps unrun), nothing left. */
  public JobProgress finished() {
    return new JobProgress(epoch, totalEpochs, step, totalSteps, 1.0, 0, phase, phaseIndex, phaseCount);
  }

  /** This progress in a newly begun phase (epoch 0 of it). */
  public JobProgress inPhase(String name, int index, int count) {
    return new JobProgress(0, 0, step, totalSteps, fraction, etaMillis, name, index, count);
  }

  /** This progress at another point of the same phase. */
  public JobProgress at(int newEpoch, int newTotalEpochs, long newStep, long newTotalSteps, double newFraction,
      long newEtaMillis) {
    return new JobProgress(newEpoch, newTotalEpochs, newStep, newTotalSteps, newFraction, newEtaMillis, phase,
        phaseIndex, phaseCount);
  }
}
