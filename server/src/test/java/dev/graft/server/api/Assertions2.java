package dev.graft.server.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.client.GraftException;
import io.grpc.Status;
import org.junit.jupiter.api.function.Executable;

/** Asserts on Graft errors: the code, the ErrorInfo reason and, where given, the field at fault. */
final class Assertions2 {
  private Assertions2() {}

  static GraftException assertGraftError(Status.Code code, String reason, Executable call) {
    GraftException e = assertThrows(GraftException.class, call);
    assertEquals(code, e.code(), e.getMessage());
    assertEquals(reason, e.reason(), e.getMessage());
    return e;
  }

  static GraftException assertGraftError(Status.Code code, String reason, String fieldPart, Executable call) {
    GraftException e = assertGraftError(code, reason, call);
    assertTrue(e.fields().stream().anyMatch(f -> f.contains(fieldPart)),
        "expected a field violation containing '" + fieldPart + "', got " + e.fields() + ": " + e.getMessage());
    return e;
  }
}
