package dev.graft.server.core.store.sql;

import dev.graft.server.core.store.DatasetStore;
import dev.graft.server.core.store.JsonCodec;
import dev.graft.server.core.store.LocalDatasetStore;
import dev.graft.server.core.store.StoreLayout;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** The dataset store contract on the local backend: two store instances on one folder. */
class LocalDatasetStoreContractTest extends DatasetStoreContract {
  @TempDir Path root;
  private StoreLayout layoutA;
  private StoreLayout layoutB;
  private DatasetStore a;
  private DatasetStore b;

  @BeforeEach
  void open() {
    layoutA = new StoreLayout(root);
    layoutB = new StoreLayout(root);
    a = new LocalDatasetStore(layoutA, new JsonCodec(), SharedReplicas.PARSERS, SharedReplicas.limits(MAX_PER_PRINCIPAL));
    b = new LocalDatasetStore(layoutB, new JsonCodec(), SharedReplicas.PARSERS, SharedReplicas.limits(MAX_PER_PRINCIPAL));
  }

  @AfterEach
  void close() {
    layoutA.close();
    layoutB.close();
  }

  @Override
  DatasetStore replicaA() {
    return a;
  }

  @Override
  DatasetStore replicaB() {
    return b;
  }
}
