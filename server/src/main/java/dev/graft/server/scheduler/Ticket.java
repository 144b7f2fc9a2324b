package dev.graft.server.scheduler;

import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * One submitted work item: the request, the work and its future. Thread-safe; the queue and
 * slot bookkeeping live in the {@link DevicePool} it belongs to.
 */
final class Ticket<T> implements ScheduledWork<T> {
  private final WorkRequest request;
  private final Function<DeviceSpec, T> work;
  private final DevicePool pool;
  private final CompletableFuture<T> result = new CompletableFuture<>();
  private volatile DeviceSpec device;

  Ticket(WorkRequest request, Function<DeviceSpec, T> work, DevicePool pool) {
    this.request = Objects.requireNonNull(request, "request");
    this.work = Objects.requireNonNull(work, "work");
    this.pool = pool;
  }

  WorkRequest request() {
    return request;
  }

  @Override
  public String id() {
    return request.id();
  }

  @Override
  public CompletableFuture<T> result() {
    return result;
  }

  @Override
  public boolean cancelIfQueued() {
    return pool.cancel(this);
  }

  @Override
  public Optional<DeviceSpec> device() {
    return Optional.ofNullable(device);
  }

  void placedOn(DeviceSpec placed) {
    device = placed;
  }

  /**
   * Runs the work on the calling thread and returns the step that completes {@link #result()},
   * so the caller can free the slot before the future's dependents run.
   */
  Runnable execute(DeviceSpec on) {
    try {
      T value = work.apply(on);
      return () -> result.complete(value);
    } catch (Throwable e) {
      return () -> result.completeExceptionally(e);
    }
  }

  @Override
  public String toString() {
    return "work " + request.id();
  }
}
