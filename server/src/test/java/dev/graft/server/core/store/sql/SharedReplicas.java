package dev.graft.server.core.store.sql;

import dev.graft.server.MinioServer;
import dev.graft.server.PostgresServer;
import dev.graft.server.core.Limits;
import dev.graft.server.core.store.DatasetFormat;
import dev.graft.server.core.store.DatasetIntake;
import dev.graft.server.core.store.DatasetParser;
import dev.graft.server.core.store.DiskSpace;
import dev.graft.server.core.store.JsonCodec;
import dev.graft.server.core.store.JsonlDatasetParser;
import dev.graft.server.core.store.IdxDatasetParser;
import dev.graft.server.core.store.blob.BlobCache;
import dev.graft.server.core.store.s3.S3BlobStore;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Two replicas of one shared store for tests, as two servers would run: each with its own pool on
 * the same (fresh) database, its own client of the same bucket prefix (fresh), and its own local
 * blob cache and staging folder. Closing closes both.
 */
final class SharedReplicas implements AutoCloseable {
  static final Map<DatasetFormat, DatasetParser> PARSERS =
      Map.of(DatasetFormat.JSONL, new JsonlDatasetParser(), DatasetFormat.IDX, new IdxDatasetParser());

  final DatabaseUrl url;
  final String prefix;
  final Replica a;
  final Replica b;

  /** One server of the pair. */
  record Replica(Database db, S3BlobStore blobs, BlobCache cache, SqlModelStore models, SqlDatasetStore datasets)
      implements AutoCloseable {
    static Replica open(PostgresServer pg, DatabaseUrl url, MinioServer minio, String prefix, Path dir,
        Limits limits) {
      Database db = Database.open(url, Optional.of(pg.password()), 8, Duration.ofSeconds(3));
      S3BlobStore blobs = minio.newStore(prefix);
      BlobCache cache = new BlobCache(dir.resolve("cache"), blobs, 1L << 30);
      JsonCodec json = new JsonCodec();
      DatasetIntake intake = new DatasetIntake(dir.resolve("staging"), PARSERS, 1 << 20, limits,
          new DiskSpace(0, () -> Long.MAX_VALUE));
      return new Replica(db, blobs, cache,
          new SqlModelStore(db, blobs, cache, SqlModelStore.DEFAULT_LEASE_HOLD, json, dir.resolve("staging")),
          new SqlDatasetStore(db, blobs, cache, SqlModelStore.DEFAULT_LEASE_HOLD, json, intake));
    }

    @Override
    public void close() {
      models.close();
      datasets.close();
      blobs.close();
      db.close();
    }
  }

  private SharedReplicas(DatabaseUrl url, String prefix, Replica a, Replica b) {
    this.url = url;
    this.prefix = prefix;
    this.a = a;
    this.b = b;
  }

  /** Two replicas on a fresh database and a fresh prefix of {@code minio}'s bucket, local files under {@code dir}. */
  static SharedReplicas open(PostgresServer pg, MinioServer minio, Path dir, Limits limits) throws Exception {
    DatabaseUrl url = pg.newDatabase();
    String prefix = "replicas-" + UUID.randomUUID();
    Replica a = Replica.open(pg, url, minio, prefix, dir.resolve("a"), limits);
    try {
      return new SharedReplicas(url, prefix, a, Replica.open(pg, url, minio, prefix, dir.resolve("b"), limits));
    } catch (RuntimeException e) {
      a.close();
      throw e;
    }
  }

  /** No quotas but {@code maxDatasetsPerPrincipal}. */
  static Limits limits(int maxDatasetsPerPrincipal) {
    return new Limits(1L << 30, maxDatasetsPerPrincipal, 0, 64, 1L << 40, Duration.ofSeconds(60),
        Limits.KeepCheckpoints.ALL, Duration.ZERO, 16);
  }

  /** The single number {@code sql} (a count) returns, asked behind the stores' backs on a plain connection. */
  long count(PostgresServer pg, String sql) throws java.sql.SQLException {
    String database = url.display().substring(url.display().lastIndexOf('/') + 1);
    try (java.sql.Connection c = pg.connect(database); java.sql.Statement s = c.createStatement();
        java.sql.ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  @Override
  public void close() {
    try (a; b) {
      // both closed
    }
  }
}
