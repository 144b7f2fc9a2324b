package dev.graft.server.telemetry;

import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapGetter;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A server span per RPC, named {@code package.Service/Method}, continuing the trace of the W3C
 * {@code traceparent} in the request metadata when there is one (so a trace begun in a client or
 * in Envoy goes on here). The span is current while the handler runs, so work it starts (an
 * inference batch, a training job) becomes its child, and log lines carry its ids. It ends with
 * the call's status; server-side failures (UNKNOWN, INTERNAL, UNAVAILABLE, DATA_LOSS,
 * DEADLINE_EXCEEDED, UNIMPLEMENTED) mark it as an error, client mistakes do not.
 */
public final class TracingInterceptor implements ServerInterceptor {
  private static final Set<Status.Code> SERVER_ERRORS = EnumSet.of(Status.Code.UNKNOWN, Status.Code.INTERNAL,
      Status.Code.UNAVAILABLE, Status.Code.DATA_LOSS, Status.Code.DEADLINE_EXCEEDED, Status.Code.UNIMPLEMENTED);

  private static final TextMapGetter<Metadata> METADATA = new TextMapGetter<>() {
    @Override
    @SuppressWarnings("deprecation") // still abstract: every getter implements it
    public Iterable<String> keys(Metadata carrier) {
      return carrier.keys();
    }

    @Override
    public String get(Metadata carrier, String key) {
      if (carrier == null || key.endsWith(Metadata.BINARY_HEADER_SUFFIX)) {
        return null;
      }
      return carrier.get(Metadata.Key.of(key, Metadata.ASCII_STRING_MARSHALLER));
    }
  };

  private final Tracing tracing;

  public TracingInterceptor(Tracing tracing) {
    this.tracing = tracing;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
      ServerCallHandler<Q, R> next) {
    MethodDescriptor<Q, R> method = call.getMethodDescriptor();
    Context parent = tracing.propagator().extract(Context.root(), headers, METADATA);
    Span span = tracing.tracer().spanBuilder(method.getFullMethodName())
        .setParent(parent)
        .setSpanKind(SpanKind.SERVER)
        .setAttribute("rpc.system", "grpc")
        .setAttribute("rpc.service", String.valueOf(method.getServiceName()))
        .setAttribute("rpc.method", String.valueOf(method.getBareMethodName()))
        .startSpan();
    Context context = parent.with(span);
    AtomicBoolean ended = new AtomicBoolean();
    ServerCall<Q, R> traced = new SimpleForwardingServerCall<>(call) {
      @Override
      public void close(Status status, Metadata trailers) {
        try {
          context.wrap(() -> super.close(status, trailers)).run();
        } finally {
          end(span, ended, status);
        }
      }
    };
    ServerCall.Listener<Q> listener;
    Scope scope = context.makeCurrent();
    try {
      listener = next.startCall(traced, headers);
    } finally {
      scope.close();
    }
    return new SimpleForwardingServerCallListener<>(listener) {
      @Override
      public void onMessage(Q message) {
        context.wrap(() -> super.onMessage(message)).run();
      }

      @Override
      public void onHalfClose() {
        context.wrap(() -> super.onHalfClose()).run();
      }

      @Override
      public void onReady() {
        context.wrap(() -> super.onReady()).run();
      }

      @Override
      public void onCancel() {
        try {
          context.wrap(super::onCancel).run();
        } finally {
          end(span, ended, Status.CANCELLED);
        }
      }

      @Override
      public void onComplete() {
        context.wrap(() -> super.onComplete()).run();
      }
    };
  }

  private static void end(Span span, AtomicBoolean ended, Status status) {
    if (!ended.compareAndSet(false, true)) {
      return;
    }
    span.setAttribute("rpc.grpc.status_code", status.getCode().value());
    if (SERVER_ERRORS.contains(status.getCode())) {
      String description = status.getDescription() == null ? status.getCode().name() : status.getDescription();
      span.setStatus(StatusCode.ERROR, description.length() > 200 ? description.substring(0, 200) : description);
    }
    span.end();
  }
}
