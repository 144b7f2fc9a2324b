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
 * with ErrorInfo, or the GraftException's own code) instead of reaching gRPC raw as UNKNOWN. The
 * handler gets a {@link SerializedServerCall}, so this close never races a message the handler
 * sends from another thread, and never closes a call twice. An exception from {@code onCancel} or
 * {@code onComplete} (the call is over: nothing can be sent) is logged, not thrown into gRPC.
 */
public final class ExceptionGuardInterceptor implements ServerInterceptor {
  private static final System.Logger LOG = System.getLogger(ExceptionGuardInterceptor.class.getName());

  private final StatusMapper statuses;

  @Inject
  public ExceptionGuardInterceptor(StatusMapper statuses) {
    this.statuses = statuses;
  }

  @Override
  public <Q, A> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, A> raw, Metadata headers, ServerCallHandler<Q, A> next) {
    SerializedServerCall<Q, A> call = new SerializedServerCall<>(raw);
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

      @Override
      public void onCancel() {
        try {
          super.onCancel();
        } catch (RuntimeException e) {
          LOG.log(System.Logger.Level.WARNING, "a handler failed on the cancellation of "
              + raw.getMethodDescriptor().getFullMethodName(), e);
        }
      }

      @Override
      public void onComplete() {
        try {
          super.onComplete();
        } catch (RuntimeException e) {
          LOG.log(System.Logger.Level.WARNING, "a handler failed after "
              + raw.getMethodDescriptor().getFullMethodName() + " completed", e);
        }
      }
    };
  }

  private <Q, A> void close(SerializedServerCall<Q, A> call, RuntimeException e) {
    StatusRuntimeException s = statuses.toStatusException(e);
    try {
      call.closeIfOpen(s.getStatus(), s.getTrailers() == null ? new Metadata() : s.getTrailers());
    } catch (IllegalStateException alreadyClosed) {
      // the handler closed the call itself (through gRPC, not this wrapper) before failing
    }
  }
}
