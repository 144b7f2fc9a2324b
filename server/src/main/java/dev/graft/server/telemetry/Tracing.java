package dev.graft.server.telemetry;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The server's OpenTelemetry: either off (a no-op tracer; spans cost nothing and nothing is
 * exported) or an SDK that exports spans over OTLP, configured by the standard {@code OTEL_*}
 * environment variables and {@code otel.*} system properties (endpoint, protocol, headers,
 * sampler, service name...). Graft's defaults: service name {@code graft}, the replica id as
 * {@code service.instance.id}, W3C trace context, no OTel metrics or logs (metrics are
 * Prometheus'). Not global: nothing outside the server sees it. Close to flush the last spans.
 */
public final class Tracing implements AutoCloseable {
  static final String INSTRUMENTATION = "dev.graft.server";

  private final OpenTelemetry openTelemetry;
  private final OpenTelemetrySdk sdk;
  private final Tracer tracer;

  private Tracing(OpenTelemetry openTelemetry, OpenTelemetrySdk sdk) {
    this.openTelemetry = openTelemetry;
    this.sdk = sdk;
    this.tracer = openTelemetry.getTracer(INSTRUMENTATION);
  }

  /** No spans. */
  public static Tracing off() {
    return new Tracing(OpenTelemetry.noop(), null);
  }

  /** Spans exported over OTLP as the {@code OTEL_*} settings say. */
  public static Tracing otlp(String replicaId) {
    OpenTelemetrySdk sdk = AutoConfiguredOpenTelemetrySdk.builder()
        .addPropertiesSupplier(() -> Map.of(
            "otel.service.name", "graft",
            "otel.resource.attributes", "service.instance.id=" + replicaId,
            "otel.traces.exporter", "otlp",
            "otel.metrics.exporter", "none",
            "otel.logs.exporter", "none",
            "otel.propagators", "tracecontext,baggage"))
        .disableShutdownHook()
        .build()
        .getOpenTelemetrySdk();
    return new Tracing(sdk, sdk);
  }

  /** Spans through an SDK the caller built (an embedding application's, or a test's). */
  public static Tracing with(OpenTelemetrySdk sdk) {
    return new Tracing(sdk, sdk);
  }

  public boolean enabled() {
    return sdk != null;
  }

  public Tracer tracer() {
    return tracer;
  }

  /** How trace context travels in request headers (W3C {@code traceparent} by default). */
  public TextMapPropagator propagator() {
    return openTelemetry.getPropagators().getTextMapPropagator();
  }

  /** Exports what is buffered and stops. */
  @Override
  public void close() {
    if (sdk != null) {
      sdk.getSdkTracerProvider().forceFlush().join(10, TimeUnit.SECONDS);
      sdk.close();
    }
  }
}
