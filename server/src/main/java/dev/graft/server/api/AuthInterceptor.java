package dev.graft.server.api;

import com.google.protobuf.Any;
import com.google.rpc.RetryInfo;
import dev.graft.server.security.Authenticator;
import dev.graft.server.security.MethodPolicy;
import dev.graft.server.security.Principal;
import dev.graft.server.security.RateLimiter;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Optional;
import javax.inject.Inject;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.security.auth.x500.X500Principal;

/**
 * Who is calling, and may they: reads {@code authorization: Bearer <token>} (or, without one, the
 * verified mTLS client certificate's subject), checks the role the method needs
 * ({@link MethodPolicy}), takes one call from the principal's rate-limit bucket and puts the
 * principal in the call's context ({@link CallPrincipal}). Health and reflection stay open. Without
 * authentication configured every caller is the anonymous admin.
 *
 * <p>Missing or unknown credentials: UNAUTHENTICATED; a role too low: PERMISSION_DENIED
 * {@code ROLE_REQUIRED}; over the rate: RESOURCE_EXHAUSTED {@code RATE_LIMITED} with a
 * {@code google.rpc.RetryInfo}.
 */
public final class AuthInterceptor implements ServerInterceptor {
  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  private static final String BEARER = "Bearer ";

  private final Authenticator authenticator;
  private final RateLimiter rateLimiter;
  private final StatusMapper statuses;

  @Inject
  public AuthInterceptor(Authenticator authenticator, RateLimiter rateLimiter, StatusMapper statuses) {
    this.authenticator = authenticator;
    this.rateLimiter = rateLimiter;
    this.statuses = statuses;
  }

  @Override
  public <Q, A> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
    String method = call.getMethodDescriptor().getFullMethodName();
    if (MethodPolicy.isOpen(method)) {
      return next.startCall(call, headers);
    }
    Principal principal;
    if (!authenticator.enabled()) {
      principal = Principal.anonymous();
    } else {
      String header = headers.get(AUTHORIZATION);
      Optional<X500Principal> subject = clientSubject(call);
      if (header != null) {
        if (!header.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
          return refuse(call, statuses.toRpcStatus(Status.Code.UNAUTHENTICATED, "UNAUTHENTICATED", "",
              "the authorization header must be 'Bearer <token>'"));
        }
        Optional<Principal> known = authenticator.byToken(header.substring(BEARER.length()).strip());
        if (known.isEmpty()) {
          return refuse(call, statuses.toRpcStatus(Status.Code.UNAUTHENTICATED, "INVALID_TOKEN", "",
              "the bearer token is not known to this server"));
        }
        principal = known.get();
      } else if (subject.isPresent()) {
        Optional<Principal> known = authenticator.bySubject(subject.get());
        if (known.isEmpty()) {
          return refuse(call, statuses.toRpcStatus(Status.Code.UNAUTHENTICATED, "UNKNOWN_CLIENT_CERTIFICATE", "",
              "the client certificate's subject is not mapped to a principal in the tokens file"
                  + " (a 'NAME ROLE subject=DN' line)"));
        }
        principal = known.get();
      } else {
        return refuse(call, statuses.toRpcStatus(Status.Code.UNAUTHENTICATED, "UNAUTHENTICATED", "",
            "this server needs 'authorization: Bearer <token>' or a client certificate"));
      }
    }
    MethodPolicy.Rule rule = MethodPolicy.rule(method);
    if (!principal.role().includes(rule.role())) {
      return refuse(call, statuses.toRpcStatus(Status.Code.PERMISSION_DENIED, "ROLE_REQUIRED", "",
          method + " needs the " + rule.role().label() + " role; principal '" + principal.name() + "' is "
              + principal.role().label()));
    }
    Optional<Duration> wait = rateLimiter.acquire(principal);
    if (wait.isPresent()) {
      Duration d = wait.get();
      return refuse(call, statuses.toRpcStatus(Status.Code.RESOURCE_EXHAUSTED, "RATE_LIMITED", "",
              "principal '" + principal.name() + "' is over rate-limit-per-second; retry in " + d.toMillis() + " ms")
          .toBuilder()
          .addDetails(Any.pack(RetryInfo.newBuilder().setRetryDelay(com.google.protobuf.Duration.newBuilder()
              .setSeconds(d.getSeconds()).setNanos(d.getNano())).build()))
          .build());
    }
    Context context = Context.current().withValue(CallPrincipal.KEY, principal);
    return Contexts.interceptCall(context, call, headers, next);
  }

  private static Optional<X500Principal> clientSubject(ServerCall<?, ?> call) {
    SSLSession session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
    if (session == null) {
      return Optional.empty();
    }
    try {
      Certificate[] chain = session.getPeerCertificates();
      return chain.length > 0 && chain[0] instanceof X509Certificate x
          ? Optional.of(x.getSubjectX500Principal()) : Optional.empty();
    } catch (SSLPeerUnverifiedException e) {
      return Optional.empty();
    }
  }

  private static <Q, A> ServerCall.Listener<Q> refuse(ServerCall<Q, A> call, com.google.rpc.Status status) {
    var e = StatusProto.toStatusRuntimeException(status);
    call.close(e.getStatus(), e.getTrailers());
    return new ServerCall.Listener<>() {};
  }
}
