package dev.graft.server.core.store;

/**
 * A named phase of a job's run (a candidate head, a trial): phase {@code index} of {@code count},
 * 1-based, whose metrics start at {@code firstMetric} in the job's metrics. Immutable.
 */
public record JobPhase(String name, int index, int count, int firstMetric) {

  public JobPhase {
    name = Copies.text(name);
  }
}
