package dev.graft.server.core.jobs;

import dev.graft.server.core.store.JobError;
import dev.graft.server.core.store.JobRecord;
import dev.graft.server.core.store.JobStore;
import dev.graft.spi.CancellationToken;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * A job of this process while it is queued or running: its current record, its watchers and its
 * cancellation flag. Every change goes through {@link #update}, which orders changes, persists the
 * ones that matter and tells each watcher in order. A terminal record is final. Thread-safe.
 */
final class JobHandle implements CancellationToken {
  private final JobStore store;
  private final List<Consumer<JobEvent>> watchers = new CopyOnWriteArrayList<>();
  private JobRecord record;
  private volatile boolean cancelRequested;
  private volatile JobError shutdownError;
  private volatile Runnable onCancel = () -> {};

  JobHandle(JobRecord initial, JobStore store) {
    this.record = initial;
    this.store = store;
  }

  synchronized JobRecord current() {
    return record;
  }

  /**
   * Applies a change unless the job already ended; persists when asked (state changes, epochs).
   * Returns whether it applied.
   */
  synchronized boolean update(UnaryOperator<JobRecord> change, String message, boolean persist) {
    if (record.state().terminal()) {
      return false;
    }
    record = change.apply(record);
    if (persist || record.state().terminal()) {
      store.save(record);
    }
    JobEvent event = new JobEvent(record, message);
    watchers.forEach(w -> w.accept(event));
    if (record.state().terminal()) {
      watchers.clear();
    }
    return true;
  }

  /** Persists the current record (used once the job is admitted). */
  synchronized void persist() {
    store.save(record);
  }

  /**
   * Sends the current state to {@code watcher} at once, then every change until the job ends.
   * Returns an action that stops watching.
   */
  synchronized Runnable watch(Consumer<JobEvent> watcher) {
    watcher.accept(new JobEvent(record, "current state: " + record.state()));
    if (record.state().terminal()) {
      return () -> {};
    }
    watchers.add(watcher);
    return () -> watchers.remove(watcher);
  }

  void onCancel(Runnable action) {
    this.onCancel = action;
  }

  /** Asks the job to stop: runs the cancel action (which removes a queued job from its queue). */
  void requestCancel() {
    cancelRequested = true;
    onCancel.run();
  }

  /** Stops the job because the server is going away: it ends FAILED with {@code error}, not CANCELLED. */
  void requestShutdown(JobError error) {
    shutdownError = error;
    requestCancel();
  }

  /** Why the job was stopped by a shutdown, or null. */
  JobError shutdownError() {
    return shutdownError;
  }

  @Override
  public boolean isCancelled() {
    return cancelRequested;
  }
}
