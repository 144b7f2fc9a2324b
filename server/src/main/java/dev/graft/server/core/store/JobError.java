package dev.graft.server.core.store;

import dev.graft.spi.ErrorKind;
import dev.graft.spi.GraftException;
import java.util.Objects;

/** Why a job failed or was cancelled. Immutable. */
public record JobError(ErrorKind kind, String reason, String message) {
  public JobError {
    Objects.requireNonNull(kind, "kind");
    reason = Copies.text(reason);
    message = Copies.text(message);
  }

  /** The error a {@link GraftException} describes. */
  public static JobError of(GraftException e) {
    return new JobError(e.kind(), e.reason(), e.getMessage());
  }
}
