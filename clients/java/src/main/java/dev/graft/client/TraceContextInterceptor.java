package dev.graft.client;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall.SimpleForwardingClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.context.propagation.TextMapSetter;

/**
 * Writes the caller's OpenTelemetry context ({@link Context#current()} when the call starts) into
 * the call's metadata, so that a trace begun in the application continues on the server. By
 * default with {@link W3CTraceContextPropagator} ({@code traceparent}, {@code tracestate}), which
 * writes nothing when no valid span is current; with an {@link OpenTelemetry} instance given to
 * the builder, with that instance's propagators instead.
 *
 * <p>This class refers to the OpenTelemetry API: only {@link GraftClientBuilder} creates it, and
 * only after {@link Tracing#AVAILABLE} said the API is on the classpath.
 */
final class TraceContextInterceptor implements ClientInterceptor {
  private static final TextMapSetter<Metadata> SETTER = (carrier, key, value) -> {
    if (carrier != null) {
      Metadata.Key<String> k = Metadata.Key.of(key, Metadata.ASCII_STRING_MARSHALLER);
      carrier.removeAll(k); // ours replaces any value set by hand, never a second one
      carrier.put(k, value);
    }
  };

  private final TextMapPropagator propagator;

  private TraceContextInterceptor(TextMapPropagator propagator) {
    this.propagator = propagator;
  }

  /**
   * The interceptor for an {@link OpenTelemetry} instance (its propagators) or, for null, for W3C
   * Trace Context over the current context (no global registration needed).
   */
  static ClientInterceptor create(Object openTelemetry) {
    TextMapPropagator propagator = openTelemetry == null
        ? W3CTraceContextPropagator.getInstance()
        : ((OpenTelemetry) openTelemetry).getPropagators().getTextMapPropagator();
    return new TraceContextInterceptor(propagator);
  }

  @Override
  public <ReqT, RespT> ClientCall<ReqT, RespT> interceptCall(
      MethodDescriptor<ReqT, RespT> method, CallOptions callOptions, Channel next) {
    return new SimpleForwardingClientCall<>(next.newCall(method, callOptions)) {
      @Override
      public void start(Listener<RespT> responseListener, Metadata headers) {
        propagator.inject(Context.current(), headers, SETTER);
        super.start(responseListener, headers);
      }
    };
  }
}
