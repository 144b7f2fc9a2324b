package dev.graft.server.api;

import dev.graft.server.app.ServerIdentity;
import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import javax.inject.Inject;

/**
 * Names the replica that answered in a response header {@code x-graft-replica} on every call, so
 * that clients and tests can see where a load balancer sent them. When a call fails before any
 * response header (a trailers-only response), the name goes into the trailers instead.
 * Stateless and thread-safe.
 */
public final class ReplicaHeaderInterceptor implements ServerInterceptor {
  /** The header's name. */
  public static final Metadata.Key<String> REPLICA =
      Metadata.Key.of("x-graft-replica", Metadata.ASCII_STRING_MARSHALLER);

  private final String replica;

  @Inject
  public ReplicaHeaderInterceptor(ServerIdentity identity) {
    this.replica = identity.replica();
  }

  @Override
  public <Q, A> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
    return next.startCall(new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
      private volatile boolean headersSent;

      @Override
      public void sendHeaders(Metadata responseHeaders) {
        responseHeaders.put(REPLICA, replica);
        headersSent = true;
        super.sendHeaders(responseHeaders);
      }

      @Override
      public void close(Status status, Metadata trailers) {
        if (!headersSent && !trailers.containsKey(REPLICA)) {
          trailers.put(REPLICA, replica);
        }
        super.close(status, trailers);
      }
    }, headers);
  }
}
