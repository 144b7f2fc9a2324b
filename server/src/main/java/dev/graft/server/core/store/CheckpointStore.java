package dev.graft.server.core.store;

import java.nio.file.Path;
import java.util.OptionalInt;

/**
 * Copies of running jobs' latest checkpoints kept where every replica can read them (object
 * storage), so that a job whose replica died resumes on another from its last epoch instead of
 * starting over. Implementations are thread-safe.
 */
public interface CheckpointStore {

  /**
   * Keeps the files of {@code folder} as job {@code jobId}'s checkpoint after {@code epoch},
   * replacing an older one atomically (a reader sees the old checkpoint or the new one whole).
   */
  void save(String jobId, int epoch, Path folder);

  /**
   * Writes job {@code jobId}'s kept checkpoint into {@code target} (created), verified.
   *
   * @return the epoch it was taken after; empty if none is kept
   */
  OptionalInt restore(String jobId, Path target);

  /** Forgets job {@code jobId}'s checkpoint (the job ended). */
  void delete(String jobId);
}
