package dev.graft.server.api;

import io.grpc.ForwardingServerCall;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.Locale;
import javax.inject.Inject;

/**
 * Writes one access-log line per call when it closes: method, status, duration, peer and the
 * {@code x-graft-model} header. Health checks are logged at a lower level.
 */
public final class AccessLogInterceptor implements ServerInterceptor {
  private static final System.Logger LOG = System.getLogger("graft.access");
  static final Metadata.Key<String> MODEL_HEADER = Metadata.Key.of("x-graft-model", Metadata.ASCII_STRING_MARSHALLER);

  @Inject
  public AccessLogInterceptor() {}

  @Override
  public <Q, A> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
    long start = System.nanoTime();
    String model = headers.get(MODEL_HEADER);
    Object peer = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
    ServerCall<Q, A> logged = new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
      @Override
      public void close(Status status, Metadata trailers) {
        String method = call.getMethodDescriptor().getFullMethodName();
        System.Logger.Level level = method.startsWith("grpc.health") ? System.Logger.Level.DEBUG
            : System.Logger.Level.INFO;
        if (LOG.isLoggable(level)) {
          LOG.log(level, String.format(Locale.ROOT, "%s %s %.1fms peer=%s model=%s%s", method, status.getCode(),
              (System.nanoTime() - start) / 1e6, peer, model == null ? "-" : model,
              status.isOk() || status.getDescription() == null ? "" : " msg=\"" + status.getDescription() + "\""));
        }
        super.close(status, trailers);
      }
    };
    return next.startCall(logged, headers);
  }
}
