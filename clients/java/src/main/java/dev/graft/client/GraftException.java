package dev.graft.client;

import com.google.rpc.BadRequest;
import com.google.rpc.ErrorInfo;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.util.ArrayList;
import java.util.List;

/**
 * A failed Graft call: the gRPC status code, the server's machine-readable reason
 * ({@code ErrorInfo.reason}, e.g. MODEL_NOT_FOUND) and, for bad input, the fields at fault.
 */
public final class GraftException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final Status.Code code;
  private final String reason;
  private final List<String> fields;

  GraftException(Status.Code code, String reason, List<String> fields, String message, Throwable cause) {
    super(message, cause);
    this.code = code;
    this.reason = reason;
    this.fields = List.copyOf(fields);
  }

  static GraftException from(StatusRuntimeException e) {
    String reason = "";
    List<String> fields = new ArrayList<>();
    com.google.rpc.Status details = StatusProto.fromThrowable(e);
    if (details != null) {
      for (var any : details.getDetailsList()) {
        try {
          if (any.is(ErrorInfo.class)) {
            reason = any.unpack(ErrorInfo.class).getReason();
          } else if (any.is(BadRequest.class)) {
            any.unpack(BadRequest.class).getFieldViolationsList().forEach(v -> fields.add(v.getField()));
          }
        } catch (com.google.protobuf.InvalidProtocolBufferException ignored) {
          // an undecodable detail adds nothing
        }
      }
    }
    Status status = e.getStatus();
    String message = status.getCode() + (reason.isEmpty() ? "" : " " + reason)
        + (status.getDescription() == null ? "" : ": " + status.getDescription());
    return new GraftException(status.getCode(), reason, fields, message, e);
  }

  /** The gRPC status code. */
  public Status.Code code() {
    return code;
  }

  /** The server's reason (UPPER_SNAKE), or empty when the status carried none. */
  public String reason() {
    return reason;
  }

  /** The request fields at fault, for INVALID_ARGUMENT. */
  public List<String> fields() {
    return fields;
  }
}
