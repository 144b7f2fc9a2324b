package dev.graft.server.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.graft.client.GraftException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.junit.jupiter.api.function.Executable;

/** Asserts the status code of a failed call, through the Graft client or a raw stub. */
public final class ErrorAssert {
  private ErrorAssert() {}

  public static void assertCode(Status.Code code, Executable call) {
    RuntimeException e = assertThrows(RuntimeException.class, call);
    Status.Code actual = e instanceof GraftException g ? g.code()
        : e instanceof StatusRuntimeException s ? s.getStatus().getCode() : null;
    assertEquals(code, actual, e.toString());
  }
}
