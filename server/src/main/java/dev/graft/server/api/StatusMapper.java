package dev.graft.server.api;

import com.google.protobuf.Any;
import com.google.rpc.BadRequest;
import com.google.rpc.ErrorInfo;
import dev.graft.server.core.store.StoreLayout;
import dev.graft.spi.ErrorKind;
import dev.graft.spi.GraftException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import javax.inject.Inject;
import javax.inject.Singleton;

/**
 * The one place where failures become gRPC statuses. Every status carries a
 * {@code google.rpc.ErrorInfo} (reason in UPPER_SNAKE, domain {@value #DOMAIN}); bad input also
 * carries a {@code google.rpc.BadRequest} naming the field. Anything that is not a
 * {@link GraftException} is an INTERNAL error, logged with its stack, never UNKNOWN.
 *
 * <p>Messages go to clients as they are with two exceptions: the store's absolute path is written
 * {@code <store>} (a client has no business knowing the server's file layout), and a message
 * longer than {@value #MAX_MESSAGE} characters is cut, so that echoed input cannot blow up the
 * trailers.
 */
@Singleton
public final class StatusMapper {
  public static final String DOMAIN = "graft.dev";
  /** The longest message sent to a client. */
  static final int MAX_MESSAGE = 1024;
  private static final System.Logger LOG = System.getLogger(StatusMapper.class.getName());

  private final String storeRoot;

  @Inject
  public StatusMapper(StoreLayout layout) {
    this.storeRoot = layout.root().toAbsolutePath().toString();
  }

  /** The status exception to send for {@code failure}. */
  public StatusRuntimeException toStatusException(Throwable failure) {
    if (failure instanceof StatusRuntimeException s) {
      return s;
    }
    GraftException g = graftCause(failure);
    if (g == null) {
      LOG.log(System.Logger.Level.ERROR, "internal error", failure);
      g = GraftException.internal("INTERNAL",
          "internal error: " + failure.getClass().getSimpleName()
              + (failure.getMessage() == null ? "" : ": " + failure.getMessage()), failure);
    }
    return StatusProto.toStatusRuntimeException(toRpcStatus(g.kind(), g.reason(), g.field(), g.getMessage()));
  }

  /** A {@code google.rpc.Status} with its details, e.g. for a failed job's {@code error}. */
  public com.google.rpc.Status toRpcStatus(ErrorKind kind, String reason, String field, String message) {
    return toRpcStatus(code(kind), reason, field, message);
  }

  /** A {@code google.rpc.Status} for a code that has no {@link ErrorKind} (e.g. UNAUTHENTICATED). */
  public com.google.rpc.Status toRpcStatus(Status.Code code, String reason, String field, String message) {
    String text = clean(message == null ? reason : message);
    com.google.rpc.Status.Builder status = com.google.rpc.Status.newBuilder()
        .setCode(code.value())
        .setMessage(text)
        .addDetails(Any.pack(ErrorInfo.newBuilder().setReason(reason).setDomain(DOMAIN).build()));
    if (field != null && !field.isEmpty()) {
      status.addDetails(Any.pack(BadRequest.newBuilder()
          .addFieldViolations(BadRequest.FieldViolation.newBuilder().setField(field).setDescription(text))
          .build()));
    }
    return status.build();
  }

  private String clean(String message) {
    String text = message.replace(storeRoot, "<store>");
    return text.length() <= MAX_MESSAGE ? text : text.substring(0, MAX_MESSAGE) + "… (" + text.length()
        + " characters)";
  }

  static Status.Code code(ErrorKind kind) {
    return switch (kind) {
      case INVALID_ARGUMENT -> Status.Code.INVALID_ARGUMENT;
      case PERMISSION_DENIED -> Status.Code.PERMISSION_DENIED;
      case NOT_FOUND -> Status.Code.NOT_FOUND;
      case ALREADY_EXISTS -> Status.Code.ALREADY_EXISTS;
      case FAILED_PRECONDITION -> Status.Code.FAILED_PRECONDITION;
      case UNIMPLEMENTED -> Status.Code.UNIMPLEMENTED;
      case RESOURCE_EXHAUSTED -> Status.Code.RESOURCE_EXHAUSTED;
      case ABORTED -> Status.Code.ABORTED;
      case CANCELLED -> Status.Code.CANCELLED;
      case UNAVAILABLE -> Status.Code.UNAVAILABLE;
      case DEADLINE_EXCEEDED -> Status.Code.DEADLINE_EXCEEDED;
      case INTERNAL -> Status.Code.INTERNAL;
      case DATA_LOSS -> Status.Code.DATA_LOSS;
    };
  }

  private static GraftException graftCause(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof GraftException g) {
        return g;
      }
    }
    return null;
  }
}
