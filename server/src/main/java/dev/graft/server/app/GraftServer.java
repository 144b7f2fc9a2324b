package dev.graft.server.app;

import dev.graft.api.v1.ServerServiceGrpc;
import dev.graft.server.api.AccessLogInterceptor;
import dev.graft.server.api.AuditInterceptor;
import dev.graft.server.api.AuthInterceptor;
import dev.graft.server.api.ErrorDetailTypes;
import dev.graft.server.api.ExceptionGuardInterceptor;
import dev.graft.server.api.ReplicaHeaderInterceptor;
import dev.graft.server.api.RequestParsing;
import dev.graft.server.api.ServingState;
import dev.graft.server.core.jobs.CheckpointRetention;
import dev.graft.server.core.jobs.JobManager;
import dev.graft.server.core.plugins.PluginRegistry;
import dev.graft.server.core.store.JobRecord;
import dev.graft.server.core.store.JobState;
import dev.graft.server.core.store.JobStore;
import dev.graft.server.core.store.StoreLayout;
import dev.graft.server.core.store.StoreSweeper;
import dev.graft.server.engine.BuiltinModelInstaller;
import dev.graft.server.engine.ModelRuntime;
import dev.graft.server.http.GrpcBridge;
import dev.graft.server.http.HttpListener;
import dev.graft.server.scheduler.DeviceScheduler;
import dev.graft.server.telemetry.RpcMetricsInterceptor;
import dev.graft.server.telemetry.ServerMetrics;
import dev.graft.server.telemetry.Tracing;
import dev.graft.server.telemetry.TracingInterceptor;
import io.grpc.BindableService;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.inject.Inject;
import javax.inject.Named;
import javax.inject.Singleton;

/**
 * The server's lifecycle. {@link #start} recovers jobs interrupted by a restart (SUCCEEDED when
 * their model was published, else FAILED), sweeps what dead processes left in the store, registers
 * built-in models, starts serving Graft's services with health (overall and per service) and
 * reflection v1 while health still says NOT_SERVING, loads and warms the built-in models, and
 * only then reports SERVING. {@code graft.v1.ServerService} is SERVING from the start: it is the
 * liveness signal, the overall status ("") the readiness signal. Every response names the
 * replica in {@code x-graft-replica}. The checkpoint sweep ({@code checkpoint-max-age-days})
 * and the store sweep ({@link StoreSweeper}) start with the server and run hourly. The HTTP
 * listener ({@code /metrics}, {@code /healthz}, {@code /readyz}) starts just before the gRPC one,
 * with its TLS (a port it cannot bind stops start-up); {@code /readyz} follows the overall health
 * status.
 *
 * <p>{@link #shutdown} drains: health goes NOT_SERVING and new calls are refused at once, live
 * jobs end FAILED (SERVER_SHUTDOWN) so their watchers finish, in-flight calls get the grace period
 * to finish, then everything closes. Thread-safe: start and shutdown are serialised.
 */
@Singleton
public final class GraftServer {
  private static final System.Logger LOG = System.getLogger(GraftServer.class.getName());
  private static final Duration SWEEP_INTERVAL = Duration.ofHours(1);

  /** How often the shared store's health is checked. */
  static final Duration STORE_HEALTH_INTERVAL = Duration.ofSeconds(2);
  private final ServerConfig config;
  private final Set<BindableService> services;
  private final HealthStatusManager health;
  private final AccessLogInterceptor accessLog;
  private final AuthInterceptor auth;
  private final AuditInterceptor audit;
  private final ExceptionGuardInterceptor guard;
  private final ReplicaHeaderInterceptor replicaHeader;
  private final RequestParsing parsing;
  private final BuiltinWarmup warmup;
  private final DeviceScheduler scheduler;
  private final BuiltinModelInstaller builtins;
  private final JobStore jobStore;
  private final JobManager jobs;
  private final ModelRuntime runtime;
  private final PluginRegistry plugins;
  private final StoreLayout layout;
  private final ScheduledExecutorService credentialsTimer;
  private final ScheduledExecutorService housekeeping;
  private final CheckpointRetention retention;
  private final StoreSweeper sweeper;
  private final RpcMetricsInterceptor rpcMetrics;
  private final TracingInterceptor tracingInterceptor;
  private final Tracing tracing;
  private final HttpListener http;
  private ServerTls tls;
  private Server server;
  private final ServingState serving;
  private final GrpcBridge bridge;
  private final Optional<SharedStore> sharedStore;
  private StoreHealth storeHealth;
  private Server local;
  private ManagedChannel bridgeChannel;

  @Inject
  GraftServer(ServerConfig config, Set<BindableService> services, HealthStatusManager health,
      AccessLogInterceptor accessLog, AuthInterceptor auth, AuditInterceptor audit, ExceptionGuardInterceptor guard,
      ReplicaHeaderInterceptor replicaHeader, RequestParsing parsing, BuiltinWarmup warmup, DeviceScheduler scheduler,
      BuiltinModelInstaller builtins, JobStore jobStore, JobManager jobs, ModelRuntime runtime,
      PluginRegistry plugins, StoreLayout layout,
      @Named("credentials") ScheduledExecutorService credentialsTimer,
      @Named("housekeeping") ScheduledExecutorService housekeeping, CheckpointRetention retention,
      StoreSweeper sweeper, RpcMetricsInterceptor rpcMetrics, TracingInterceptor tracingInterceptor, Tracing tracing,
      ServerMetrics serverMetrics, HttpListener http, ServingState serving, GrpcBridge bridge,
      Optional<SharedStore> sharedStore) {
    this.sharedStore = sharedStore;
    this.config = config;
    this.services = services;
    this.health = health;
    this.accessLog = accessLog;
    this.auth = auth;
    this.audit = audit;
    this.guard = guard;
    this.replicaHeader = replicaHeader;
    this.parsing = parsing;
    this.warmup = warmup;
    this.scheduler = scheduler;
    this.builtins = builtins;
    this.jobStore = jobStore;
    this.jobs = jobs;
    this.runtime = runtime;
    this.plugins = plugins;
    this.layout = layout;
    this.credentialsTimer = credentialsTimer;
    this.housekeeping = housekeeping;
    this.retention = retention;
    this.sweeper = sweeper;
    this.rpcMetrics = rpcMetrics;
    this.tracingInterceptor = tracingInterceptor;
    this.tracing = tracing;
    this.http = http; // serverMetrics registers its gauges when built; nothing else to keep
    this.serving = serving;
    this.bridge = bridge;
  }

  /**
   * Starts on the configured address and port with Netty, with TLS when configured, and the
   * configured keepalive and connection age.
   *
   * @throws ConfigException when a certificate file cannot be used
   */
  public synchronized GraftServer start() throws IOException {
    ServerConfig.Connections c = config.connections();
    var security = config.security();
    InetSocketAddress address = new InetSocketAddress(security.address(), config.port());
    NettyServerBuilder builder;
    if (security.tlsEnabled()) {
      try {
        tls = ServerTls.open(security, credentialsTimer);
      } catch (IllegalArgumentException e) {
        throw new ConfigException(e.getMessage());
      }
      builder = NettyServerBuilder.forAddress(address, tls.credentials());
    } else {
      builder = NettyServerBuilder.forAddress(address);
    }
    if (!security.authEnabled() && !address.getAddress().isLoopbackAddress()) {
      LOG.log(System.Logger.Level.WARNING, "INSECURE: listening on " + security.address() + " without"
          + " authentication (insecure-no-auth=true): anyone who can reach this port can train, import and delete"
          + " models and read every dataset");
    }
    builder
        .keepAliveTime(c.keepAliveTime().toMillis(), TimeUnit.MILLISECONDS)
        .keepAliveTimeout(c.keepAliveTimeout().toMillis(), TimeUnit.MILLISECONDS)
        .permitKeepAliveTime(c.permitKeepAliveTime().toMillis(), TimeUnit.MILLISECONDS)
        .permitKeepAliveWithoutCalls(true);
    if (!c.maxConnectionAge().isZero()) {
      builder.maxConnectionAge(c.maxConnectionAge().toMillis(), TimeUnit.MILLISECONDS);
      if (!c.maxConnectionAgeGrace().isZero()) {
        builder.maxConnectionAgeGrace(c.maxConnectionAgeGrace().toMillis(), TimeUnit.MILLISECONDS);
      }
    }
    return start(builder);
  }

  /** Starts on a builder the caller chose (in-process for tests). */
  public synchronized GraftServer start(ServerBuilder<?> builder) throws IOException {
    if (server != null) {
      throw new IllegalStateException("already started");
    }
    recoverJobs();
    sweeper.sweep();
    builtins.installMissing();
    retention.start();
    housekeeping.scheduleWithFixedDelay(sweeper::sweep, SWEEP_INTERVAL.toMinutes(), SWEEP_INTERVAL.toMinutes(),
        TimeUnit.MINUTES);
    plugins.failed().forEach(p -> LOG.log(System.Logger.Level.WARNING,
        "plugin " + p.id() + " (" + p.source() + ") FAILED: " + p.error()));

    builder.maxInboundMessageSize(config.maxInboundMessageBytes());
    List<ServerServiceDefinition> definitions = new ArrayList<>();
    services.forEach(s -> definitions.add(s.bindService()));
    definitions.add(health.getHealthService().bindService());
    definitions.add(ProtoReflectionServiceV1.newInstance().bindService());
    definitions.add(ErrorDetailTypes.definition()); // so that reflection serves google.rpc.ErrorInfo & co.
    definitions.forEach(d -> builder.addService(intercepted(d)));
    openBridge(definitions);
    setServing(ServingStatus.NOT_SERVING);
    health.setStatus(ServerServiceGrpc.SERVICE_NAME, ServingStatus.SERVING);
    startHttp();
    try {
      server = builder.build().start();
    } catch (IOException | RuntimeException e) {
      http.close();
      bridgeChannel.shutdownNow();
      local.shutdownNow();
      throw e;
    }
    // "listening on port N" is what scripts wait for; keep it first.
    LOG.log(System.Logger.Level.INFO, "listening on port " + port() + " (address " + config.security().address()
        + (config.security().tlsEnabled() ? ", TLS" + (config.security().tlsClientCa().isPresent()
        ? " with client certificates required" : "") : ", plaintext") + ", auth "
        + (config.security().authEnabled() ? "on" : "off") + "); warming up built-in models");
    try {
      List<String> warmed = warmup.warm();
      warmRequestPath(definitions);
      LOG.log(System.Logger.Level.INFO, "warmed " + warmed.size() + " built-in model instance(s): " + warmed);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      LOG.log(System.Logger.Level.ERROR, "interrupted while warming up; health stays NOT_SERVING");
      return this;
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.ERROR, "warm-up failed; health stays NOT_SERVING", e);
      return this;
    }
    setServing(ServingStatus.SERVING);
    sharedStore.ifPresent(shared -> storeHealth = new StoreHealth(shared::problem,
        config.sharedStore().orElseThrow().unavailableGrace(), STORE_HEALTH_INTERVAL, this::storeUsable));
    jobs.startClaiming(); // with a shared store: take jobs from the cluster's queue once serving
    LOG.log(System.Logger.Level.INFO, "Graft " + ServerIdentity.versionFromManifest() + " replica "
        + config.replicaId() + " serving on port " + port() + ", store " + config.store());
    return this;
  }

  /**
   * Runs {@link BuiltinWarmup#warmRequestPath} over an in-process channel to the services behind
   * request parsing, the guard and audit, the same stack a client call reaches, without the auth,
   * metrics, access-log and tracing interceptors: warm-up calls are nobody's and count nowhere.
   */
  private void warmRequestPath(List<ServerServiceDefinition> definitions) throws IOException {
    String name = "graft-warmup-" + UUID.randomUUID();
    InProcessServerBuilder local = InProcessServerBuilder.forName(name).directExecutor()
        .maxInboundMessageSize(config.maxInboundMessageBytes());
    definitions.forEach(d -> local.addService(inner(d)));
    Server warmupServer = local.build().start();
    ManagedChannel channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    try {
      warmup.warmRequestPath(channel);
    } finally {
      channel.shutdownNow();
      warmupServer.shutdownNow();
    }
  }

  /**
   * The services as the gRPC port serves them (every interceptor), on an in-process server that
   * {@link GrpcBridge} calls for Graft's API over HTTP (JSON and gRPC-Web).
   */
  private void openBridge(List<ServerServiceDefinition> definitions) throws IOException {
    String name = "graft-http-bridge-" + UUID.randomUUID();
    InProcessServerBuilder builder = InProcessServerBuilder.forName(name)
        .maxInboundMessageSize(config.maxInboundMessageBytes());
    definitions.forEach(d -> builder.addService(intercepted(d)));
    local = builder.build().start();
    bridgeChannel = InProcessChannelBuilder.forName(name).directExecutor()
        .maxInboundMessageSize(Integer.MAX_VALUE).build();
    bridge.attach(bridgeChannel, definitions);
  }

  /** The HTTP listener, unless {@code http-port=-1}; a port it cannot bind stops start-up. */
  private void startHttp() {
    ServerConfig.Observability o = config.observability();
    if (o.httpPort() == ServerConfig.Observability.HTTP_OFF) {
      return;
    }
    try {
      http.start(Optional.ofNullable(tls).map(t -> new HttpListener.Tls(t.sslContext(), t.clientCertificates())),
          serving::serving);
    } catch (RuntimeException e) {
      http.close();
      throw new ConfigException("cannot listen for HTTP on " + o.httpAddress() + ":" + o.httpPort() + " ("
          + e.getMessage() + "): set http-port to a free port, 0 for any, or -1 for no HTTP listener");
    }
  }

  /** Ends the jobs a dead process left unfinished; a recovered success gets its keep-checkpoints. */
  private void recoverJobs() {
    List<JobRecord> recovered = jobStore.recoverAfterRestart();
    long succeeded = recovered.stream().filter(j -> j.state() == JobState.SUCCEEDED).count();
    recovered.stream().filter(j -> j.state() == JobState.SUCCEEDED).forEach(j -> retention.succeeded(j.id()));
    if (!recovered.isEmpty()) {
      LOG.log(System.Logger.Level.WARNING, recovered.size() + " job(s) were running when the server stopped: "
          + succeeded + " SUCCEEDED (their model was published), " + (recovered.size() - succeeded) + " FAILED");
    }
  }

  /**
   * A service behind Graft's interceptors. The last one listed runs first: the trace (the call's
   * span, current for everything after it), replica header, RPC metrics, access log, auth; then
   * requests are parsed ({@link RequestParsing}: malformed bytes are INVALID_ARGUMENT, not
   * UNKNOWN); then audit and the exception guard, which see typed messages.
   */
  private ServerServiceDefinition intercepted(ServerServiceDefinition service) {
    ServerServiceDefinition inner = inner(service);
    List<ServerInterceptor> outer = new ArrayList<>(List.of(auth));
    if (config.accessLog()) {
      outer.add(accessLog);
    }
    if (config.observability().metrics()) {
      outer.add(rpcMetrics);
    }
    outer.add(replicaHeader);
    if (tracing.enabled()) {
      outer.add(tracingInterceptor);
    }
    return ServerInterceptors.intercept(inner, outer);
  }

  /** A service behind request parsing, audit and the exception guard: what every call reaches after auth. */
  private ServerServiceDefinition inner(ServerServiceDefinition service) {
    return parsing.wrap(ServerInterceptors.intercept(service, guard, audit));
  }

  /**
   * The shared store became usable again, or stayed unusable past its grace: readiness (the
   * overall status, every service but ServerService, /readyz) follows it, so a load balancer
   * sends calls elsewhere; ServerService stays SERVING, so a liveness probe does not restart a
   * replica that only waits for its database.
   */
  private synchronized void storeUsable(boolean usable) {
    if (server != null && !server.isShutdown()) {
      ServingStatus status = usable ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
      serving.set(usable);
      health.setStatus("", status);
      services.forEach(s -> {
        String name = s.bindService().getServiceDescriptor().getName();
        health.setStatus(name, name.equals(ServerServiceGrpc.SERVICE_NAME) ? ServingStatus.SERVING : status);
      });
    }
  }

  private void setServing(ServingStatus status) {
    serving.set(status == ServingStatus.SERVING);
    health.setStatus("", status);
    services.forEach(s -> health.setStatus(s.bindService().getServiceDescriptor().getName(), status));
  }

  /** The port actually bound (useful with port 0); -1 for in-process servers. */
  public int port() {
    return server.getPort();
  }

  /** The HTTP listener's port (useful with {@code http-port=0}). */
  public int httpPort() {
    return http.port();
  }

  /** Drains and stops; safe to call more than once. */
  public synchronized void shutdown() {
    if (server == null || server.isTerminated()) {
      return;
    }
    if (storeHealth != null) {
      storeHealth.close();
    }
    health.enterTerminalState();
    serving.set(false);
    server.shutdown();
    local.shutdown(); // calls over HTTP (JSON, gRPC-Web) drain with the gRPC ones
    Duration grace = config.shutdownGrace();
    long deadline = System.nanoTime() + grace.toNanos();
    try {
      // Jobs end first, so that their WatchJob streams finish within the grace.
      jobs.shutdown(grace.compareTo(Duration.ofSeconds(10)) < 0 ? grace : Duration.ofSeconds(10));
      if (!server.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)
          | !local.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
        LOG.log(System.Logger.Level.WARNING, "calls still running after " + grace + "; cancelling them");
      }
      scheduler.close();
      server.shutdownNow();
      local.shutdownNow();
      server.awaitTermination(5, TimeUnit.SECONDS);
      local.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      scheduler.close();
      server.shutdownNow();
      local.shutdownNow();
    } finally {
      housekeeping.shutdownNow(); // before the store closes: a sweep moves folders into staging
      http.close(); // no HTTP call may reach the engines once they close (OIP answers without the bridge)
      bridgeChannel.shutdownNow();
      runtime.close();
      sharedStore.ifPresent(SharedStore::close); // deregisters this replica: its claims go to others
      layout.close();
      tracing.close(); // exports the last spans
      if (tls != null) {
        tls.close();
      }
      credentialsTimer.shutdownNow();
    }
    LOG.log(System.Logger.Level.INFO, "Graft stopped");
  }

  public void awaitTermination() throws InterruptedException {
    server.awaitTermination();
  }
}
