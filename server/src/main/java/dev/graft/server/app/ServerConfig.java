package dev.graft.server.app;

import dev.graft.server.core.Limits;
import dev.graft.server.core.jobs.ClusterJobs;
import dev.graft.server.core.store.s3.S3Location;
import dev.graft.server.core.store.sql.DatabaseUrl;
import dev.graft.server.security.SecuritySettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The server's whole configuration, typed and immutable. Built by {@link ConfigLoader} from
 * defaults, a properties file, the environment and flags (each overriding the one before).
 *
 * @param port the gRPC port (0 = any free port)
 * @param store the local store folder: models, datasets and jobs with the local store; with a
 *     shared store ({@code sharedStore} present), the local working folder ({@code work-dir}:
 *     staging, caches, checkpoints)
 * @param pools device pools by name, each a device list such as "cpu" or "gpu:0,gpu:1"
 * @param defaultPool the pool a job uses when it names none
 * @param trainingSlots concurrent training jobs per device
 * @param inferenceSlots concurrent inference calls per device
 * @param queueCapacity queued jobs per pool before RESOURCE_EXHAUSTED
 * @param maxInboundMessageBytes the largest request message accepted
 * @param maxInputsPerRequest the most inputs one Extract or Predict may carry
 * @param pluginDir a folder of external plugin jars, if any
 * @param strictPlugins whether a plugin that fails to load stops start-up
 * @param shutdownGrace how long in-flight calls may take to finish at shutdown
 * @param security listener address, TLS, authentication and code-import settings
 * @param limits quotas on uploads, imports, checkpoints and jobs
 * @param replicaId this replica's name in server info and logs
 * @param accessLog whether to log one line per call
 * @param maxBatch the most inputs concurrent Extract/Predict calls are merged into per engine call
 * @param connections HTTP/2 keepalive and connection-age limits of the network listener
 * @param observability the HTTP listener (metrics, probes), tracing and the log format
 * @param modelMemoryBudget bytes the loaded models may take (each counted at its stored size);
 *     least recently used ones are unloaded to stay within it
 * @param sharedStore the shared store (PostgreSQL + object storage), when {@code store} names a
 *     database; empty for the local store
 */
public record ServerConfig(
    int port,
    Path store,
    Map<String, String> pools,
    String defaultPool,
    int trainingSlots,
    int inferenceSlots,
    int queueCapacity,
    int maxInboundMessageBytes,
    int maxInputsPerRequest,
    Optional<Path> pluginDir,
    boolean strictPlugins,
    Duration shutdownGrace,
    SecuritySettings security,
    Limits limits,
    String replicaId,
    boolean accessLog,
    int maxBatch,
    Connections connections,
    Observability observability,
    long modelMemoryBudget,
    Optional<SharedStore> sharedStore) {

  public ServerConfig {
    pools = Map.copyOf(pools);
  }

  /**
   * The shared store: metadata in PostgreSQL, files in S3-compatible object storage.
   *
   * @param database the {@code store} URL ({@code postgresql://…})
   * @param passwordFile {@code store-password-file}; else {@code GRAFT_STORE_PASSWORD}, else none
   * @param blobs {@code blob-store} ({@code s3://bucket/prefix}); the endpoint and credentials come
   *     from the standard AWS environment
   * @param blobCacheBytes {@code blob-cache-bytes}: the local copies of models and datasets kept
   * @param poolSize {@code store-pool-size}: database connections per replica
   * @param lostJobPolicy {@code lost-job-policy}: what becomes of a job whose replica dies
   * @param maxJobAttempts {@code max-job-attempts}: the most times one job is claimed
   * @param unavailableGrace {@code store-unavailable-grace-seconds}: how long the database or the
   *     object store may be unusable before health goes NOT_SERVING
   * @param environment the environment variables the backends read ({@code AWS_*},
   *     {@code GRAFT_STORE_PASSWORD}); never printed
   */
  public record SharedStore(DatabaseUrl database, Optional<Path> passwordFile, S3Location blobs,
      long blobCacheBytes, int poolSize, ClusterJobs.LostJobPolicy lostJobPolicy, int maxJobAttempts,
      Duration unavailableGrace, Map<String, String> environment) {
    public SharedStore {
      environment = Map.copyOf(environment);
    }

    @Override
    public String toString() {
      return "SharedStore[" + database + ", " + blobs + ", environment " + environment.keySet() + "]";
    }
  }

  /**
   * How the network listener treats HTTP/2 connections, so that a proxy (Envoy) or a client
   * notices a dead peer and moves to new replicas over time.
   *
   * @param keepAliveTime how long a connection may be quiet before the server pings it
   * @param keepAliveTimeout how long the server waits for a ping's answer before closing
   * @param permitKeepAliveTime the shortest ping interval a client may use (pings without calls
   *     are allowed too); faster pingers are disconnected
   * @param maxConnectionAge after this long a connection is told to go away (GOAWAY), so clients
   *     reconnect and spread over replicas; {@link Duration#ZERO} = never
   * @param maxConnectionAgeGrace how long calls on such a connection may still run (long
   *     WatchJob streams); {@link Duration#ZERO} = no limit
   */
  public record Connections(
      Duration keepAliveTime,
      Duration keepAliveTimeout,
      Duration permitKeepAliveTime,
      Duration maxConnectionAge,
      Duration maxConnectionAgeGrace) {}

  /**
   * What an operator sees of the server.
   *
   * @param httpPort the HTTP listener's port ({@code /metrics}, {@code /healthz}, {@code /readyz});
   *     0 = any free port, -1 = no HTTP listener
   * @param httpAddress the address it listens on
   * @param metrics whether RPCs, inference, jobs, pools and the store are measured and
   *     {@code /metrics} serves them
   * @param tracing whether spans are exported over OTLP
   * @param jsonLogs one JSON object per log line (with trace and span ids) instead of text
   */
  public record Observability(int httpPort, String httpAddress, boolean metrics, Tracing tracing, boolean jsonLogs) {
    public static final int HTTP_OFF = -1;
  }

  /** Whether and where spans go. */
  public enum Tracing {
    /** No spans are made. */
    OFF,
    /** Spans go to an OTLP endpoint configured by the standard {@code OTEL_*} variables. */
    OTLP
  }

  /** The pool names in a stable order, the default first. */
  public List<String> poolNames() {
    return pools.keySet().stream()
        .sorted((a, b) -> a.equals(defaultPool) ? -1 : b.equals(defaultPool) ? 1 : a.compareTo(b))
        .toList();
  }

  /** A copy listening on another port. */
  public ServerConfig withPort(int newPort) {
    return new ServerConfig(newPort, store, pools, defaultPool, trainingSlots, inferenceSlots,
        queueCapacity, maxInboundMessageBytes, maxInputsPerRequest, pluginDir, strictPlugins,
        shutdownGrace, security, limits, replicaId, accessLog, maxBatch, connections, observability, modelMemoryBudget,
        sharedStore);
  }
}
