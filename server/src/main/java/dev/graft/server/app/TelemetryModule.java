package dev.graft.server.app;

import dagger.Module;
import dagger.Provides;
import dev.graft.server.core.jobs.JobManager;
import dev.graft.server.core.store.DatasetStore;
import dev.graft.server.core.store.ModelStore;
import dev.graft.server.core.store.StoreLayout;
import dev.graft.server.engine.ModelRuntime;
import dev.graft.server.http.ApiRoutes;
import dev.graft.server.http.HttpListener;
import dev.graft.server.http.OipRoutes;
import dev.graft.server.scheduler.DeviceScheduler;
import dev.graft.server.security.Authenticator;
import dev.graft.server.telemetry.InferenceMetrics;
import dev.graft.server.telemetry.JobTelemetry;
import dev.graft.server.telemetry.ModelLabels;
import dev.graft.server.telemetry.RpcMetricsInterceptor;
import dev.graft.server.telemetry.ServerMetrics;
import dev.graft.server.telemetry.Tracing;
import dev.graft.server.telemetry.TracingInterceptor;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import javax.inject.Singleton;

/**
 * Metrics, traces and the HTTP listener. One registry per server (not Prometheus' global one),
 * so servers side by side in one JVM (tests) keep their own counts.
 */
@Module
interface TelemetryModule {
  /** Model names beyond this many share one label value in per-model metrics. */
  int MAX_MODEL_LABELS = 100;

  @Provides
  @Singleton
  static PrometheusRegistry registry() {
    PrometheusRegistry registry = new PrometheusRegistry();
    JvmMetrics.builder().register(registry); // heap, GC, threads, process_resident_memory_bytes
    return registry;
  }

  @Provides
  @Singleton
  static Tracing tracing(ServerConfig config) {
    return config.observability().tracing() == ServerConfig.Tracing.OTLP ? Tracing.otlp(config.replicaId())
        : Tracing.off();
  }

  @Provides
  @Singleton
  static InferenceMetrics inferenceMetrics(PrometheusRegistry registry, ServerConfig config) {
    return new InferenceMetrics(registry, new ModelLabels(MAX_MODEL_LABELS), config.observability().metrics());
  }

  @Provides
  @Singleton
  static JobTelemetry jobTelemetry(PrometheusRegistry registry, Tracing tracing, ServerConfig config) {
    return new JobTelemetry(registry, tracing, config.observability().metrics());
  }

  @Provides
  @Singleton
  static RpcMetricsInterceptor rpcMetrics(PrometheusRegistry registry) {
    return new RpcMetricsInterceptor(registry);
  }

  @Provides
  @Singleton
  static TracingInterceptor tracingInterceptor(Tracing tracing) {
    return new TracingInterceptor(tracing);
  }

  @Provides
  @Singleton
  static ServerMetrics serverMetrics(PrometheusRegistry registry, JobManager jobs, DeviceScheduler scheduler,
      ModelStore models, DatasetStore datasets, StoreLayout layout, ModelRuntime runtime) {
    return new ServerMetrics(registry, jobs, scheduler, models, datasets, layout, runtime);
  }

  @Provides
  @Singleton
  static HttpListener http(ServerConfig config, PrometheusRegistry registry, Authenticator authenticator,
      OipRoutes oip, ApiRoutes api) {
    ServerConfig.Observability o = config.observability();
    return new HttpListener(new HttpListener.Settings(o.httpPort(), o.httpAddress(), o.metrics(),
        config.maxInboundMessageBytes()), registry, authenticator, oip, api);
  }
}
