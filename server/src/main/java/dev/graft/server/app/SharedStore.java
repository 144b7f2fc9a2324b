package dev.graft.server.app;

import dev.graft.server.core.Limits;
import dev.graft.server.core.store.DatasetFormat;
import dev.graft.server.core.store.DatasetIntake;
import dev.graft.server.core.store.DatasetParser;
import dev.graft.server.core.store.DiskSpace;
import dev.graft.server.core.store.JsonCodec;
import dev.graft.server.core.store.StoreDescription;
import dev.graft.server.core.store.blob.BlobCache;
import dev.graft.server.core.store.blob.BlobGarbageCollector;
import dev.graft.server.core.store.s3.S3BlobStore;
import dev.graft.server.core.store.sql.Database;
import dev.graft.server.core.store.sql.DatabaseCredentials;
import dev.graft.server.core.store.sql.Instances;
import dev.graft.server.core.store.sql.SqlBlobReferences;
import dev.graft.server.core.store.sql.SqlCheckpointStore;
import dev.graft.server.core.store.sql.SqlDatasetStore;
import dev.graft.server.core.store.sql.SqlJobQueue;
import dev.graft.server.core.store.sql.SqlJobRelay;
import dev.graft.server.core.store.sql.SqlJobStore;
import dev.graft.server.core.store.sql.SqlModelStore;
import dev.graft.spi.GraftException;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The shared store's parts, built from {@link ServerConfig.SharedStore} and closed together:
 * the database pool, this replica's registration, the object store and its local cache (under the
 * working folder), the SQL-backed stores, the cluster's job queue, checkpoint copies, and the blob
 * garbage collector (every 6 hours, blobs unreferenced for a day). Thread-safe.
 */
final class SharedStore implements AutoCloseable {
  /** Blobs younger than this are never collected (a publish may still be committing them). */
  static final Duration GC_MIN_AGE = Duration.ofDays(1);
  static final Duration GC_INTERVAL = Duration.ofHours(6);
  private static final System.Logger LOG = System.getLogger(SharedStore.class.getName());

  final Database database;
  final Instances instances;
  final S3BlobStore blobs;
  final BlobCache cache;
  final SqlModelStore models;
  final SqlDatasetStore datasets;
  final SqlJobStore jobs;
  final SqlJobRelay relay;
  final SqlJobQueue queue;
  final SqlCheckpointStore checkpoints;
  private final ScheduledExecutorService gc;

  private SharedStore(ServerConfig.SharedStore settings, Path workDir, JsonCodec json,
      Map<DatasetFormat, DatasetParser> parsers, Limits limits) {
    this.database = Database.open(settings.database(), password(settings), settings.poolSize(),
        Database.DEFAULT_CONNECT_TIMEOUT);
    Instances registered = null;
    S3BlobStore store = null;
    try {
      registered = Instances.register(database);
      store = S3BlobStore.fromEnvironment(settings.blobs(), settings.environment(), S3BlobStore.Options.DEFAULTS);
      store.check();
    } catch (RuntimeException e) {
      if (store != null) {
        store.close();
      }
      if (registered != null) {
        registered.close();
      }
      database.close();
      throw e;
    }
    this.instances = registered;
    this.blobs = store;
    this.cache = new BlobCache(workDir.resolve("blob-cache"), blobs, settings.blobCacheBytes());
    Path staging = workDir.resolve("staging");
    this.models = new SqlModelStore(database, blobs, cache, SqlModelStore.DEFAULT_LEASE_HOLD, json, staging);
    this.datasets = new SqlDatasetStore(database, blobs, cache, SqlModelStore.DEFAULT_LEASE_HOLD, json,
        new DatasetIntake(staging, parsers, DatasetIntake.defaultCacheBytes(), limits,
            DiskSpace.of(workDir, limits.minFreeDiskBytes())));
    this.jobs = new SqlJobStore(database, instances, json);
    this.relay = new SqlJobRelay(database, jobs, instances, SqlJobRelay.DEFAULT_SWEEP);
    this.queue = new SqlJobQueue(database, instances.id(), instances.lease());
    this.checkpoints = new SqlCheckpointStore(database, blobs, json);
    this.gc = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "graft-blob-gc");
      t.setDaemon(true);
      return t;
    });
    BlobGarbageCollector collector = new BlobGarbageCollector(blobs, new SqlBlobReferences(database), GC_MIN_AGE);
    gc.scheduleWithFixedDelay(() -> {
      try {
        var result = collector.collect();
        if (!result.removed().isEmpty()) {
          LOG.log(System.Logger.Level.INFO, "blob GC removed " + result.removed().size() + " unreferenced blob(s), "
              + result.bytesFreed() + " bytes");
        }
      } catch (GraftException e) {
        LOG.log(System.Logger.Level.WARNING, "blob GC skipped: " + e.getMessage());
      }
    }, GC_INTERVAL.toMinutes(), GC_INTERVAL.toMinutes(), TimeUnit.MINUTES);
    LOG.log(System.Logger.Level.INFO, "shared store: database " + database.url().display() + ", files "
        + blobs.describe() + ", replica " + instances.id());
  }

  /**
   * Connects to the database and the object store.
   *
   * @throws GraftException UNAVAILABLE when either cannot be reached
   */
  static SharedStore open(ServerConfig.SharedStore settings, Path workDir, JsonCodec json,
      Map<DatasetFormat, DatasetParser> parsers, Limits limits) {
    return new SharedStore(settings, workDir, json, parsers, limits);
  }

  /**
   * What keeps this replica from using the store now, if anything: the database does not answer,
   * or the object store is unreachable, its bucket missing or the credentials refused.
   */
  Optional<String> problem() {
    if (!database.reachable()) {
      return Optional.of("the store's database " + database.url().display() + " does not answer");
    }
    try {
      blobs.check();
    } catch (GraftException e) {
      return Optional.of("the object store: " + e.getMessage());
    }
    return Optional.empty();
  }

  /**
   * The database and the object store alone, without registering a replica or starting anything:
   * for tools that read the store ({@code graft store verify}). The object store is checked; the
   * caller closes both.
   *
   * @throws GraftException UNAVAILABLE when either cannot be reached
   */
  static Backends connect(ServerConfig.SharedStore settings) {
    Database database = Database.open(settings.database(), password(settings), 2, Database.DEFAULT_CONNECT_TIMEOUT);
    S3BlobStore store = null;
    try {
      store = S3BlobStore.fromEnvironment(settings.blobs(), settings.environment(), S3BlobStore.Options.DEFAULTS);
      store.check();
      return new Backends(database, store);
    } catch (RuntimeException e) {
      if (store != null) {
        store.close();
      }
      database.close();
      throw e;
    }
  }

  /** A shared store's database and object store, as {@link #connect} opens them. */
  record Backends(Database database, S3BlobStore blobs) implements AutoCloseable {
    @Override
    public void close() {
      blobs.close();
      database.close();
    }
  }

  /** The database password: {@code store-password-file}, else {@code GRAFT_STORE_PASSWORD}, else none. */
  private static Optional<String> password(ServerConfig.SharedStore settings) {
    try {
      return DatabaseCredentials.password(settings.passwordFile().orElse(null), settings.environment());
    } catch (IOException e) {
      throw new ConfigException("cannot read store-password-file " + settings.passwordFile().orElseThrow() + ": "
          + e.getMessage());
    }
  }

  StoreDescription description() {
    return new StoreDescription(StoreDescription.SHARED, database.url().display(), blobs.location().toString(),
        () -> instances.liveInstances().size());
  }

  @Override
  public void close() {
    gc.shutdownNow();
    relay.close();
    models.close();
    datasets.close();
    instances.close();
    blobs.close();
    database.close();
  }
}
