package dev.graft.server.app;

import dev.graft.server.api.AccessLogInterceptor;
import dev.graft.server.api.AuthInterceptor;
import dev.graft.server.api.ExceptionGuardInterceptor;
import dev.graft.server.core.jobs.JobManager;
import dev.graft.server.core.plugins.PluginRegistry;
import dev.graft.server.core.store.JobStore;
import dev.graft.server.core.store.StoreLayout;
import dev.graft.server.engine.BuiltinModelInstaller;
import dev.graft.server.engine.ModelRuntime;
import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import java.io.IOException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.inject.Inject;
import javax.inject.Singleton;

/**
 * The server's lifecycle. {@link #start} recovers jobs interrupted by a restart, registers
 * built-in models, then serves Graft's services with health (overall and per service) and
 * reflection v1. {@link #shutdown} drains: health goes NOT_SERVING, new calls are refused,
 * in-flight calls get the grace period to finish, running jobs end FAILED with a reason, then
 * everything closes.
 */
@Singleton
public final class GraftServer {
  private static final System.Logger LOG = System.getLogger(GraftServer.class.getName());

  private final ServerConfig config;
  private final Set<BindableService> services;
  private final HealthStatusManager health;
  private final AccessLogInterceptor accessLog;
  private final AuthInterceptor auth;
  private final ExceptionGuardInterceptor guard;
  private final BuiltinModelInstaller builtins;
  private final JobStore jobStore;
  private final JobManager jobs;
  private final ModelRuntime runtime;
  private final PluginRegistry plugins;
  private final StoreLayout layout;
  private Server server;

  @Inject
  GraftServer(ServerConfig config, Set<BindableService> services, HealthStatusManager health,
      AccessLogInterceptor accessLog, AuthInterceptor auth, ExceptionGuardInterceptor guard,
      BuiltinModelInstaller builtins, JobStore jobStore, JobManager jobs, ModelRuntime runtime,
      PluginRegistry plugins, StoreLayout layout) {
    this.config = config;
    this.services = services;
    this.health = health;
    this.accessLog = accessLog;
    this.auth = auth;
    this.guard = guard;
    this.builtins = builtins;
    this.jobStore = jobStore;
    this.jobs = jobs;
    this.runtime = runtime;
    this.plugins = plugins;
    this.layout = layout;
  }

  /** Starts on the configured port with Netty. */
  public synchronized GraftServer start() throws IOException {
    return start(ServerBuilder.forPort(config.port()));
  }

  /** Starts on a builder the caller chose (in-process for tests). */
  public synchronized GraftServer start(ServerBuilder<?> builder) throws IOException {
    if (server != null) {
      throw new IllegalStateException("already started");
    }
    int recovered = jobStore.recoverAfterRestart().size();
    if (recovered > 0) {
      LOG.log(System.Logger.Level.WARNING, recovered + " job(s) were running when the server stopped; marked FAILED");
    }
    builtins.installMissing();
    plugins.failed().forEach(p -> LOG.log(System.Logger.Level.WARNING,
        "plugin " + p.id() + " (" + p.source() + ") FAILED: " + p.error()));

    builder.maxInboundMessageSize(config.maxInboundMessageBytes());
    services.forEach(builder::addService);
    builder.addService(health.getHealthService());
    builder.addService(ProtoReflectionServiceV1.newInstance());
    // Interceptors added last run first: access log, then auth, then the exception guard.
    builder.intercept(guard).intercept(auth);
    if (config.accessLog()) {
      builder.intercept(accessLog);
    }
    server = builder.build().start();

    health.setStatus("", ServingStatus.SERVING);
    services.forEach(s -> health.setStatus(s.bindService().getServiceDescriptor().getName(), ServingStatus.SERVING));
    LOG.log(System.Logger.Level.INFO, "Graft " + ServerIdentity.versionFromManifest() + " serving on port "
        + port() + ", store " + config.store());
    return this;
  }

  /** The port actually bound (useful with port 0); -1 for in-process servers. */
  public int port() {
    return server.getPort();
  }

  /** Drains and stops; safe to call more than once. */
  public synchronized void shutdown() {
    if (server == null || server.isTerminated()) {
      return;
    }
    health.enterTerminalState();
    server.shutdown();
    Duration grace = config.shutdownGrace();
    try {
      if (!server.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS)) {
        LOG.log(System.Logger.Level.WARNING, "calls still running after " + grace + "; cancelling them");
      }
      jobs.shutdown(Duration.ofSeconds(10));
      server.shutdownNow();
      server.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      server.shutdownNow();
    } finally {
      runtime.close();
      layout.close();
    }
    LOG.log(System.Logger.Level.INFO, "Graft stopped");
  }

  public void awaitTermination() throws InterruptedException {
    server.awaitTermination();
  }
}
