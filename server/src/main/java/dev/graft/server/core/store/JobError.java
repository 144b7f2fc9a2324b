package dev.graft.server.core.store;

import dev.graft.spi.ErrorKind;
import dev.graft.spi.GraftException;
import java.util.Objects;

/**
 * Why a job failed or was cancelled: the request field it concerns, when there is one
 * ({@code output_model}; "" otherwise, and in records written before it existed). Immutable.
 */
public record JobError(ErrorKind kind, String reason, String message, String field) {
  public JobError {
    Objects.requireNonNull(kind, "kind");
    reason = Copies.text(reason);
    message = Copies.text(message);
    field = Copies.text(field);
  }

  /** An error that concerns no particular field. */
  public JobError(ErrorKind kind, String reason, String message) {
    this(kind, reason, message, "");
  }

  /** The error a {@link GraftException} describes, with its field. */
  public static JobError of(GraftException e) {
    return new JobError(e.kind(), e.reason(), e.getMessage(), e.field());
  }
}
