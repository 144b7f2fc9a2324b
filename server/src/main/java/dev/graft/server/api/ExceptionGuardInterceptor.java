package dev.graft.server.api;

import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.StatusRuntimeException;
import javax.inject.Inject;

/**
 * The last safety net: an exception that escapes a handler is closed as a mapped status (INTERNAL
 * with ErrorInfo, or the GraftException's own code) instead of reaching gRPC raw as UNKNOWN.
 */
public final class ExceptionGuardInterceptor implements ServerInterceptor {
  private final StatusMapper statuses;

  @Inject
  public ExceptionGuardInterceptor(StatusMapper statuses) {
    this.statuses = statuses;
  }

  @Override
  public <Q, A> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
    ServerCall.Listener<Q> delegate;
    try {
      delegate = next.startCall(call, headers);
    } catch (RuntimeException e) {
      close(call, e);
      return new ServerCall.Listener<>() {};
    }
    return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(delegate) {
      @Override
      public void onMessage(Q message) {
        try {
          super.onMessage(message);
        } catch (RuntimeException e) {
          close(call, e);
        }
      }

      @Override
      public void onHalfClose() {
        try {
          super.onHalfClose();
        } catch (RuntimeException e) {
          close(call, e);
        }
      }

      @Override
      public void onReady() {
        try {
          super.onReady();
        } catch (RuntimeException e) {
          close(call, e);
        }
      }
    };
  }

  private <Q, A> void close(ServerCall<Q, A> call, RuntimeException e) {
    StatusRuntimeException s = statuses.toStatusException(e);
    try {
      call.close(s.getStatus(), s.getTrailers() == null ? new Metadata() : s.getTrailers());
    } catch (IllegalStateException alreadyClosed) {
      // the handler closed the call before failing; nothing more to say
    }
  }
}
