package dev.graft.server.core.store;

import dev.graft.spi.GraftException;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Training jobs' records. The instance that saves a job owns it; other replicas read it. Two
 * backends implement it: {@link LocalJobStore} (a folder) and the shared store (a database).
 * Implementations are thread-safe; saves of one id are serialised. Each save is durable, so
 * callers throttle frequent progress updates.
 */
public interface JobStore {
  /** The order of {@link #list()}: newest first (by create time, then id). */
  Comparator<JobRecord> NEWEST_FIRST = Comparator
      .comparing((JobRecord j) -> j.createTime() == null ? Instant.EPOCH : j.createTime())
      .thenComparing(JobRecord::id)
      .reversed();

  /**
   * Stores the job durably; this instance becomes its owner.
   *
   * @throws GraftException INVALID_ARGUMENT (field "id", reason INVALID_JOB_ID) for an id that is
   *     not 1 to 128 characters from A-Z, a-z, 0-9, '.', '_', '-'; INTERNAL STORE_IO or
   *     UNAVAILABLE when it cannot be stored
   */
  void save(JobRecord job);

  /** The job, as its owner last saved it. */
  Optional<JobRecord> find(String id);

  /** Every job, {@link #NEWEST_FIRST}. */
  List<JobRecord> list();

  /**
   * Ends the unfinished jobs whose owner is no longer alive (this server's previous run, crashed
   * replicas), never the running jobs of a live replica: a job whose model was published before its
   * server died is SUCCEEDED, any other FAILED (reason SERVER_RESTARTED).
   *
   * @return the jobs changed
   */
  List<JobRecord> recoverAfterRestart();
}
