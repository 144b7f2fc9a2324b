package dev.graft.server.core.store.sql;

import dev.graft.server.MinioServer;
import dev.graft.server.PostgresServer;
import dev.graft.server.core.store.ModelStore;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * The model store contract on the shared backend against a real PostgreSQL and MinIO: two
 * replicas, each with its own pool, S3 client and local cache, on one database and bucket prefix.
 */
class SqlModelStoreContractTest extends ModelStoreContract {
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
    replicas = SharedReplicas.open(postgres, minio, dir, SharedReplicas.limits(100));
  }

  @AfterEach
  void close() {
    replicas.close();
  }

  @Override
  ModelStore replicaA() {
    return replicas.a.models();
  }

  @Override
  ModelStore replicaB() {
    return replicas.b.models();
  }
}
