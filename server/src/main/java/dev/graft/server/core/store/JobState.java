package dev.graft.server.core.store;

/** The life of a training job: QUEUED → RUNNING → SUCCEEDED | FAILED | CANCELLED. */
public enum JobState {
  QUEUED,
  RUNNING,
  SUCCEEDED,
  FAILED,
  CANCELLED;

  /** Whether the job is over (no further change). */
  public boolean terminal() {
    return this == SUCCEEDED || this == FAILED || this == CANCELLED;
  }
}
