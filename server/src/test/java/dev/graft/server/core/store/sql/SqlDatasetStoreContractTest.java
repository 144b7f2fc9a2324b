package dev.graft.server.core.store.sql;

import dev.graft.server.MinioServer;
import dev.graft.server.PostgresServer;
import dev.graft.server.core.store.DatasetStore;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dataset store contract on the shared backend against a real PostgreSQL and MinIO: two
 * replicas, each with its own pool, S3 client and local cache, on one database and bucket prefix.
 */
class SqlDatasetStoreContractTest extends DatasetStoreContract {
  private static PostgresServer postgres;
  private static MinioServer minio;
  @TempDir Path dir;
  private SharedReplicas replicas;

  @BeforeAll
  static void startServers() throws Exception {
    postgres = PostgresServer.startOrSkip();
    minio = MinioServer.start();
  }

  @AfterAll
  static void stopServers() throws Exception {
    if (minio != null) {
      minio.close();
    }
    if (postgres != null) {
      postgres.close();
    }
  }

  @BeforeEach
  void open() throws Exception {
    replicas = SharedReplicas.open(postgres, minio, dir, SharedReplicas.limits(MAX_PER_PRINCIPAL));
  }

  @AfterEach
  void close() {
    replicas.close();
  }

  @Override
  DatasetStore replicaA() {
    return replicas.a.datasets();
  }

  @Override
  DatasetStore replicaB() {
    return replicas.b.datasets();
  }
}
