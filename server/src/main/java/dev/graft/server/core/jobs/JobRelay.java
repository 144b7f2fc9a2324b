package dev.graft.server.core.jobs;

import dev.graft.server.core.store.JobRecord;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Watch and cancel of jobs that another replica runs, through the store alone (replicas never
 * call each other). One implementation per store backend: files polled on a shared folder
 * ({@link FileJobRelay}), or the database's notifications. Thread-safe; owned by {@link JobManager},
 * which closes it (watches then get no more events).
 */
public interface JobRelay extends AutoCloseable {

  /**
   * Starts relaying cancel requests for this replica's live jobs: {@code cancel} is called with
   * the id of each live job another replica asked to stop.
   */
  void relayCancels(Supplier<Iterable<String>> liveIds, Consumer<String> cancel);

  /**
   * Sends {@code first} (the job as read now, not terminal) to {@code watcher}, then every change
   * of its stored record until it is terminal. Returns an action that stops watching.
   */
  Runnable watch(JobRecord first, Consumer<JobEvent> watcher);

  /**
   * Asks the owner of {@code job} (not terminal, not live here) to cancel it; returns the job as
   * it is now. A job whose owner is gone is recovered as FAILED instead.
   */
  JobRecord requestCancel(JobRecord job);

  /** Forgets any pending cancel request of job {@code id} (it ended). */
  void forget(String id);

  @Override
  void close();
}
