package dev.graft.server.scheduler;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * A handle on submitted work. Thread-safe.
 *
 * <p>{@link #result()} completes with the work's value or exception; exceptionally with a
 * {@code GraftException} (UNAVAILABLE, SHUTTING_DOWN) when the scheduler closes while the work
 * is queued; cancelled when {@link #cancelIfQueued()} removed it. Cancelling the future itself
 * while queued also removes the work from the queue; cancelling it while running does not stop
 * the work (the caller stops it its own way, e.g. a {@code CancellationToken}).
 */
public interface ScheduledWork<T> {
  /** The request's id. */
  String id();

  /** Completes when the work has returned, failed, been cancelled in the queue or refused at close. */
  CompletableFuture<T> result();

  /**
   * Removes the work if it is still waiting in the queue and cancels {@link #result()}.
   *
   * @return true if it was queued and is now removed; false if it already runs or has ended
   */
  boolean cancelIfQueued();

  /** The device the work was placed on; empty while it waits in the queue (or if it never ran). */
  Optional<DeviceSpec> device();
}
