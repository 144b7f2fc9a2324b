package dev.graft.server.core.store;

import dev.graft.spi.GraftException;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The cluster's queue of training jobs, shared by every replica of a shared store: a replica
 * that accepts a job enqueues it; every replica with a free training slot in the job's pool claims
 * the next one (highest priority, then oldest), runs it, and removes it when it ends. A job whose
 * claiming replica dies is found by {@link #sweepLost} on any live replica and re-queued or
 * dropped there, per the caller's policy. The command is opaque text here (its codec belongs to the
 * job layer).
 *
 * <p>Implementations are thread-safe and safe across processes: two replicas never claim the same
 * job.
 */
public interface JobQueue {

  /**
   * Adds a job; it is visible to every replica's {@link #claim} once this returns.
   *
   * @throws GraftException RESOURCE_EXHAUSTED QUEUE_FULL when {@code pool} already holds
   *     {@code capacity} unclaimed jobs across the cluster; UNAVAILABLE when the store is down
   */
  void enqueue(String id, String pool, int priority, String command, int capacity);

  /** Claims the next unclaimed job of {@code pool} for this replica, if there is one. */
  Optional<Claim> claim(String pool);

  /** Removes an unclaimed job (a cancel before any replica took it); false if it was claimed or is gone. */
  boolean removeIfUnclaimed(String id);

  /** Removes a job this replica claimed, once it ended (whatever its outcome). */
  void finished(String id);

  /** Whether the queue holds the job (claimed or not). */
  boolean contains(String id);

  /**
   * Handles the jobs claimed by replicas that are no longer alive: each is re-queued (unclaimed,
   * for any replica) while it was claimed fewer than {@code maxAttempts} times, else removed.
   * Each lost job is handled by one replica only.
   *
   * @return what happened to each
   */
  List<Lost> sweepLost(int maxAttempts);

  /** Unclaimed and claimed jobs per pool, across the cluster. */
  Map<String, Depth> depth();

  /**
   * A job this replica claimed.
   *
   * @param attempt how many times the job has been claimed, this claim included (1 the first time)
   */
  record Claim(String id, String pool, int priority, String command, int attempt) {}

  /**
   * A job whose replica died while it ran.
   *
   * @param requeued true if it is queued again; false if it was removed (attempts used up)
   * @param replica the replica that had claimed it
   */
  record Lost(String id, String replica, int attempts, boolean requeued) {}

  /** How many jobs of a pool wait ({@code queued}) and run ({@code claimed}) across the cluster. */
  record Depth(long queued, long claimed) {}
}
