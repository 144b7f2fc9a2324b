package dev.graft.server.core.store;

import dev.graft.spi.ErrorKind;
import dev.graft.spi.GraftException;
import java.io.IOException;
import java.io.UncheckedIOException;

/** Builds the store's exceptions. Stateless. */
final class StoreErrors {
  static final String STORE_IO = "STORE_IO";

  private StoreErrors() {}

  /** An I/O failure of the store: INTERNAL, reason STORE_IO, with the cause. */
  static GraftException io(String what, IOException cause) {
    return GraftException.internal(STORE_IO, what + ": " + cause, cause);
  }

  static GraftException io(String what, UncheckedIOException cause) {
    return io(what, cause.getCause());
  }

  static GraftException aborted(String reason, String message) {
    return new GraftException(ErrorKind.ABORTED, reason, message);
  }
}
