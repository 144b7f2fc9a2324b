package dev.graft.server.core.store;

import java.nio.file.Path;

/**
 * Something a dead process left in a store, found by {@link Leftovers}.
 *
 * @param kind what it is, which says how {@link StoreSweeper} removes it
 * @param path the file or folder
 * @param why a description for logs and the verifier's report
 */
public record StoreLeftover(Kind kind, Path path, String why) {
  /** The kinds of leftovers. */
  public enum Kind {
    /** {@code staging/<id>/} or {@code staging/<id>.lock} of an instance that is not running. */
    DEAD_STAGING,
    /** A temporary file of {@link AtomicFiles#write} whose writer is gone. */
    TEMP_FILE,
    /** A model version folder without a manifest (or a deleted one with files left). */
    UNFINISHED_MODEL_VERSION,
    /** A dataset folder without a manifest. */
    UNFINISHED_DATASET,
    /** A cancel marker of a job that ended or does not exist. */
    STALE_CANCEL_MARKER
  }
}
