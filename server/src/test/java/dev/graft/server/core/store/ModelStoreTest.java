package dev.graft.server.core.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.spi.ErrorKind;
import dev.graft.spi.GraftException;
import dev.graft.spi.MetricValue;
import dev.graft.spi.Task;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelStoreTest {
  @TempDir Path root;
  private final JsonCodec json = new JsonCodec();
  private StoreLayout layout;
  private ModelStore store;

  @BeforeEach
  void open() {
    layout = new StoreLayout(root);
    store = new LocalModelStore(layout, json);
  }

  @AfterEach
  void close() {
    layout.close();
  }

  static ModelRecord draft(String name) {
    return new ModelRecord(name, 0, ModelKind.TRAINED, "nlp", "PyTorch", "head", "minilm-l6@1", "feature-extraction",
        "ds-0123456789ab", "abc", Task.CLASSIFICATION, List.of("neg", "pos"),
        List.of(new MetricValue("accuracy", 0.9, "validation", 0), new MetricValue("loss", Double.NaN, "train", 1)),
        new ModelInputSpec(List.of(1L, 128L), 128, 0, 0, List.of(0.5f), List.of(0.25f)),
        Map.of("epochs", "3"), Map.of("pooling", "mean"), 0, null, "job-1", 384, "alice");
  }

  private ModelRecord create(String name, String content) throws IOException {
    Path staged = store.newStagingDirectory();
    Files.writeString(staged.resolve("head.bin"), content);
    return store.create(draft(name), staged);
  }

  @Test
  void createAssignsVersionsAndStoresFiles() throws IOException {
    ModelRecord v1 = create("sentiment", "a");
    ModelRecord v2 = create("sentiment", "bb");
    ModelRecord v3 = create("sentiment", "ccc");
    assertEquals(List.of(1, 2, 3), List.of(v1.version(), v2.version(), v3.version()));
    assertEquals("sentiment@3", v3.ref());
    assertEquals(3, v3.sizeBytes());
    assertNotNull(v3.createTime());
    assertEquals("ccc", Files.readString(store.directory(v3).resolve("head.bin")));
    assertTrue(Files.isRegularFile(store.directory(v3).resolve(ModelStore.MANIFEST)));
    assertEquals(v3, store.get("sentiment"));
    assertEquals(v1, store.get("sentiment@1"));
  }

  @Test
  void errorsForMissingAndMalformedRefs() throws IOException {
    create("m", "x");
    GraftException missing = assertThrows(GraftException.class, () -> store.get("m@7"));
    assertEquals(ErrorKind.NOT_FOUND, missing.kind());
    assertEquals("MODEL_NOT_FOUND", missing.reason());
    assertEquals(ErrorKind.NOT_FOUND, assertThrows(GraftException.class, () -> store.get("other")).kind());
    for (String bad : new String[] {"", "Upper", "m@0", "m@x", "m@", "../etc", "-m", "a".repeat(64)}) {
      GraftException e = assertThrows(GraftException.class, () -> store.get(bad), bad);
      assertEquals(ErrorKind.INVALID_ARGUMENT, e.kind(), bad);
      assertEquals("name", e.field(), bad);
      assertEquals("INVALID_MODEL_NAME", e.reason(), bad);
    }
    ModelStore.validateName("a.b_c-9", "spec.name");
    GraftException e = assertThrows(GraftException.class, () -> ModelStore.validateName("A", "spec.name"));
    assertEquals("spec.name", e.field());
  }

  @Test
  void reloadAfterRestartReturnsTheSameRecords() throws IOException {
    create("b", "1");
    create("a", "1");
    create("a", "2");
    List<ModelRecord> before = store.list();
    assertEquals(List.of("a@1", "a@2", "b@1"), before.stream().map(ModelRecord::ref).toList());

    layout.close();
    layout = new StoreLayout(root);
    ModelStore reopened = new LocalModelStore(layout, json);
    assertEquals(before, reopened.list());
    assertTrue(Double.isNaN(reopened.get("a@2").metrics().get(1).value()));
  }

  @Test
  void folderWithoutManifestAndStrayTempFilesAreIgnored() throws IOException {
    create("m", "1");
    // A crash after claiming version 2 but before the rename; a temp file of an interrupted write.
    Path half = layout.models().resolve("m/2");
    Files.createDirectories(half);
    Files.writeString(half.resolve("weights.bin"), "partial");
    Files.writeString(layout.models().resolve("m/1/.manifest.json.1234.tmp"), "{");

    layout.close();
    layout = new StoreLayout(root);
    ModelStore reopened = new LocalModelStore(layout, json);
    assertEquals(List.of("m@1"), reopened.list().stream().map(ModelRecord::ref).toList());
    assertEquals(1, reopened.get("m").version());
    Path staged = reopened.newStagingDirectory();
    Files.writeString(staged.resolve("w"), "w");
    assertEquals(3, reopened.create(draft("m"), staged).version(), "a claimed version is never reused");
  }

  @Test
  void concurrentCreatesGetDistinctVersionsAndLoseNothing() throws Exception {
    int threads = 8;
    int perThread = 4;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch start = new CountDownLatch(1);
    // Half the threads use a second store instance on the same root, as another process would.
    StoreLayout otherLayout = new StoreLayout(root);
    ModelStore other = new LocalModelStore(otherLayout, json);
    try {
      List<Future<List<ModelRecord>>> futures = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        ModelStore s = t % 2 == 0 ? store : other;
        int id = t;
        Callable<List<ModelRecord>> task = () -> {
          start.await();
          List<ModelRecord> mine = new ArrayList<>();
          for (int i = 0; i < perThread; i++) {
            Path staged = s.newStagingDirectory();
            Files.writeString(staged.resolve("w"), id + "-" + i);
            mine.add(s.create(draft("shared"), staged));
          }
          return mine;
        };
        futures.add(pool.submit(task));
      }
      start.countDown();
      Set<Integer> versions = new HashSet<>();
      for (Future<List<ModelRecord>> f : futures) {
        for (ModelRecord r : f.get()) {
          assertTrue(versions.add(r.version()), "duplicate version " + r.version());
        }
      }
      assertEquals(threads * perThread, versions.size());
      List<ModelRecord> listed = store.list();
      assertEquals(threads * perThread, listed.size());
      Set<String> contents = new HashSet<>();
      for (ModelRecord r : listed) {
        contents.add(Files.readString(store.directory(r).resolve("w")));
      }
      assertEquals(threads * perThread, contents.size(), "every write is stored");
      assertEquals(threads * perThread, other.get("shared").version());
    } finally {
      pool.shutdownNow();
      otherLayout.close();
    }
  }

  @Test
  void anotherInstanceSeesNewVersionsAndDeletes() throws IOException {
    StoreLayout otherLayout = new StoreLayout(root);
    try {
      ModelStore other = new LocalModelStore(otherLayout, json);
      assertTrue(other.find("m").isEmpty());
      create("m", "1");
      assertEquals(1, other.get("m").version());
      create("m", "2");
      assertEquals(2, other.get("m").version());
      other.delete("m@2");
      assertEquals(1, store.get("m").version());
      assertTrue(store.find("m@2").isEmpty());
    } finally {
      otherLayout.close();
    }
  }

  @Test
  void deleteRemovesTheVersionAndNeverReusesItsNumber() throws IOException {
    create("m", "1");
    ModelRecord v2 = create("m", "2");
    Path dir = store.directory(v2);
    assertEquals(v2, store.delete("m"));
    assertFalse(Files.exists(dir.resolve(ModelStore.MANIFEST)));
    assertFalse(Files.exists(dir.resolve("head.bin")));
    assertEquals(1, store.get("m").version());
    assertEquals(ErrorKind.NOT_FOUND, assertThrows(GraftException.class, () -> store.delete("m@2")).kind());
    assertEquals(3, create("m", "3").version());
    assertEquals(List.of("m@1", "m@3"), store.list().stream().map(ModelRecord::ref).toList());
  }

  @Test
  void createKeepsADraftCreateTimeAndRefusesAReservedFileName() throws IOException {
    Instant t = Instant.parse("2024-01-02T03:04:05.123456789Z");
    Path staged = store.newStagingDirectory();
    Files.writeString(staged.resolve("w"), "w");
    assertEquals(t, store.create(draft("m").withCreateTime(t), staged).createTime());
    assertEquals(t, new LocalModelStore(layout, json).get("m").createTime());

    Path bad = store.newStagingDirectory();
    Files.writeString(bad.resolve(ModelStore.MANIFEST), "{}");
    GraftException e = assertThrows(GraftException.class, () -> store.create(draft("m"), bad));
    assertEquals(ErrorKind.INVALID_ARGUMENT, e.kind());
    GraftException name = assertThrows(GraftException.class, () -> store.create(draft("Bad Name"), bad));
    assertEquals("INVALID_MODEL_NAME", name.reason());
  }
}
