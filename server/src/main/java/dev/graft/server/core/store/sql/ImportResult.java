package dev.graft.server.core.store.sql;

import java.util.Objects;

/**
 * What importing one item of another store into the shared store did ({@code graft store migrate}):
 * the import methods of {@link SqlModelStore}, {@link SqlModelAliases}, {@link SqlDatasetStore} and
 * {@link SqlJobStore} keep the item's identity ({@code name@version}, alias, dataset id, job id)
 * and are idempotent: an identical row already there is left alone, a different one is never
 * overwritten.
 *
 * @param outcome what happened
 * @param detail for a conflict, what differs; otherwise "" or a short note
 * @param blobsSent how many blobs were uploaded (the others were stored already)
 * @param bytesSent their bytes
 */
public record ImportResult(Outcome outcome, String detail, int blobsSent, long bytesSent) {
  /** What an import did. */
  public enum Outcome {
    /** The row was inserted (after its blobs were uploaded). */
    COPIED,
    /** An identical row was there already: nothing changed. */
    PRESENT,
    /** A different row holds the identity: nothing changed; {@code detail} says what differs. */
    CONFLICT
  }

  public ImportResult {
    Objects.requireNonNull(outcome, "outcome");
    detail = detail == null ? "" : detail;
  }

  static ImportResult copied(int blobsSent, long bytesSent) {
    return new ImportResult(Outcome.COPIED, "", blobsSent, bytesSent);
  }

  static ImportResult present(String note) {
    return new ImportResult(Outcome.PRESENT, note, 0, 0);
  }

  static ImportResult conflict(String detail) {
    return new ImportResult(Outcome.CONFLICT, detail, 0, 0);
  }
}
