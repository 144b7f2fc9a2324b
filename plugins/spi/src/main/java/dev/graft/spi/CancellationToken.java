package dev.graft.spi;

/**
 * Says whether a job was cancelled. A strategy checks it at least once per step (and per
 * batch of any long preparation) so that a cancel stops work within seconds.
 */
public interface CancellationToken {

  boolean isCancelled();

  /** @throws GraftException CANCELLED if the job was cancelled */
  default void throwIfCancelled() {
    if (isCancelled()) {
      throw GraftException.cancelled("JOB_CANCELLED", "the job was cancelled");
    }
  }
}
