package dev.graft.server.api;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import javax.inject.Inject;
import javax.inject.Named;

/**
 * Checks {@code authorization: Bearer <token>} when a token is configured; health and reflection
 * stay open so that load balancers can probe. A missing token is UNAUTHENTICATED, a wrong one
 * PERMISSION_DENIED.
 */
public final class AuthInterceptor implements ServerInterceptor {
  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private final byte[] token;
  private final StatusMapper statuses;

  @Inject
  public AuthInterceptor(@Named("authToken") String token, StatusMapper statuses) {
    this.token = token.getBytes(StandardCharsets.UTF_8);
    this.statuses = statuses;
  }

  @Override
  public <Q, A> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
    String service = call.getMethodDescriptor().getServiceName();
    if (token.length == 0 || service == null || service.startsWith("grpc.")) {
      return next.startCall(call, headers);
    }
    String header = headers.get(AUTHORIZATION);
    if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return refuse(call, Status.Code.UNAUTHENTICATED,
          "UNAUTHENTICATED", "this server needs 'authorization: Bearer <token>'");
    }
    byte[] given = header.substring(7).trim().getBytes(StandardCharsets.UTF_8);
    if (!MessageDigest.isEqual(given, token)) {
      return refuse(call, Status.Code.PERMISSION_DENIED,
          "INVALID_TOKEN", "the bearer token is not valid for this server");
    }
    return next.startCall(call, headers);
  }

  private <Q, A> ServerCall.Listener<Q> refuse(
      ServerCall<Q, A> call, Status.Code code, String reason, String message) {
    var e = io.grpc.protobuf.StatusProto.toStatusRuntimeException(statuses.toRpcStatus(code, reason, "", message));
    call.close(e.getStatus(), e.getTrailers());
    return new ServerCall.Listener<>() {};
  }
}
