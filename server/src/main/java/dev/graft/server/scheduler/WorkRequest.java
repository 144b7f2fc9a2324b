package dev.graft.server.scheduler;

import java.util.Objects;

/**
 * What the scheduler needs to know about one training work item.
 *
 * @param id the caller's id for the work (a job id); shown in messages
 * @param pool the device pool; {@code ""} (or null) means the default pool
 * @param priority higher runs first; equal priorities run in submission order
 * @param memoryEstimate bytes the work needs on its device; 0 = unknown (no budget check)
 */
public record WorkRequest(String id, String pool, int priority, long memoryEstimate) {
  public WorkRequest {
    Objects.requireNonNull(id, "id");
    pool = pool == null ? "" : pool;
    if (memoryEstimate < 0) {
      throw new IllegalArgumentException("work " + id + ": memoryEstimate must be >= 0");
    }
  }
}
