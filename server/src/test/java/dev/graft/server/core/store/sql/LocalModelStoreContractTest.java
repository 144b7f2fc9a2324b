package dev.graft.server.core.store.sql;

import dev.graft.server.core.store.JsonCodec;
import dev.graft.server.core.store.LocalModelStore;
import dev.graft.server.core.store.ModelStore;
import dev.graft.server.core.store.StoreLayout;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** The model store contract on the local backend: two store instances on one folder. */
class LocalModelStoreContractTest extends ModelStoreContract {
  @TempDir Path root;
  private StoreLayout layoutA;
  private StoreLayout layoutB;
  private ModelStore a;
  private ModelStore b;

  @BeforeEach
  void open() {
    layoutA = new StoreLayout(root);
    layoutB = new StoreLayout(root);
    a = new LocalModelStore(layoutA, new JsonCodec());
    b = new LocalModelStore(layoutB, new JsonCodec());
  }

  @AfterEach
  void close() {
    layoutA.close();
    layoutB.close();
  }

  @Override
  ModelStore replicaA() {
    return a;
  }

  @Override
  ModelStore replicaB() {
    return b;
  }
}
