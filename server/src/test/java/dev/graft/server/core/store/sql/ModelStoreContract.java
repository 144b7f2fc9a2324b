package dev.graft.server.core.store.sql;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.server.core.store.ModelInputSpec;
import dev.graft.server.core.store.ModelKind;
import dev.graft.server.core.store.ModelRecord;
import dev.graft.server.core.store.ModelStore;
import dev.graft.spi.ErrorKind;
import dev.graft.spi.GraftException;
import dev.graft.spi.MetricValue;
import dev.graft.spi.Task;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * What every {@link ModelStore} backend guarantees, checked on two replicas of one store (two
 * instances over the same folder, or the same database and bucket): version numbering, concurrent
 * publication, visibility of creates and deletes on the other replica, aliases, refusals.
 */
abstract class ModelStoreContract {

  /** One replica; the same store as {@link #replicaB()}. */
  abstract ModelStore replicaA();

  /** Another replica of the store {@link #replicaA()} is on. */
  abstract ModelStore replicaB();

  static ModelRecord draft(String name) {
    return new ModelRecord(name, 0, ModelKind.TRAINED, "nlp", "PyTorch", "head", "minilm-l6@1", "feature-extraction",
        "ds-0123456789ab", "abc", Task.CLASSIFICATION, List.of("neg", "pos"),
        List.of(new MetricValue("accuracy", 0.9, "validation", 0), new MetricValue("loss", Double.NaN, "train", 1)),
        new ModelInputSpec(List.of(1L, 128L), 128, 0, 0, List.of(0.5f), List.of(0.25f)),
        Map.of("epochs", "3"), Map.of("pooling", "mean"), 0, null, "job-1", 384, "alice");
  }

  /** Stores {@code head.bin} = {@code content} and {@code tokenizer/vocab.txt} as the next version of {@code name}. */
  static ModelRecord create(ModelStore store, String name, String content) throws Exception {
    Path staged = store.newStagingDirectory();
    Files.writeString(staged.resolve("head.bin"), content);
    Files.createDirectories(staged.resolve("tokenizer"));
    Files.writeString(staged.resolve("tokenizer/vocab.txt"), "a\nb\n");
    return store.create(draft(name), staged);
  }

  @Test
  void versionsAreNumberedFromOneAndTheFilesComeBackOnTheOtherReplica() throws Exception {
    ModelRecord v1 = create(replicaA(), "sentiment", "a");
    ModelRecord v2 = create(replicaA(), "sentiment", "bb");
    ModelRecord v3 = create(replicaA(), "sentiment", "ccc");
    assertEquals(List.of(1, 2, 3), List.of(v1.version(), v2.version(), v3.version()));
    assertEquals(3 + 4, v3.sizeBytes());
    assertNotNull(v3.createTime());
    ModelStore b = replicaB();
    assertEquals(v3, b.get("sentiment"));
    assertEquals(v1, b.get("sentiment@1"));
    assertTrue(Double.isNaN(b.get("sentiment@2").metrics().get(1).value()), "NaN survives the store");
    assertEquals(List.of(0.5f), b.get("sentiment@2").input().mean());
    Path dir = b.directory(b.get("sentiment@2"));
    assertEquals("bb", Files.readString(dir.resolve("head.bin")));
    assertEquals("a\nb\n", Files.readString(dir.resolve("tokenizer/vocab.txt")));
    assertEquals("ccc", Files.readString(b.directory(v3).resolve("head.bin")));
  }

  @Test
  void concurrentCreatesOnTwoReplicasNeverCollideAndAllSurvive() throws Exception {
    int threads = 8;
    int perThread = 4;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch start = new CountDownLatch(1);
    try {
      List<Future<List<ModelRecord>>> futures = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        ModelStore store = t % 2 == 0 ? replicaA() : replicaB();
        int id = t;
        Callable<List<ModelRecord>> task = () -> {
          start.await();
          List<ModelRecord> mine = new ArrayList<>();
          for (int i = 0; i < perThread; i++) {
            mine.add(create(store, "shared", id + "-" + i));
          }
          return mine;
        };
        futures.add(pool.submit(task));
      }
      start.countDown();
      List<ModelRecord> created = new ArrayList<>();
      for (Future<List<ModelRecord>> f : futures) {
        created.addAll(f.get(120, TimeUnit.SECONDS));
      }
      assertEquals(IntStream.rangeClosed(1, threads * perThread).boxed().toList(),
          created.stream().map(ModelRecord::version).sorted().toList());
      for (ModelRecord r : created) {
        ModelStore other = replicaB();
        assertEquals(r, other.get(r.ref()));
        assertEquals(Files.readString(replicaA().directory(r).resolve("head.bin")),
            Files.readString(other.directory(r).resolve("head.bin")));
      }
      assertEquals(threads * perThread, replicaA().list().size());
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aVersionCreatedOnOneReplicaIsFoundOnTheOtherAtOnce() throws Exception {
    ModelStore b = replicaB();
    assertTrue(b.find("fresh").isEmpty());
    assertFalse(b.names().contains("fresh"));
    ModelRecord v1 = create(replicaA(), "fresh", "x");
    assertEquals(v1, b.find("fresh").orElseThrow());
    assertTrue(b.names().contains("fresh"), b.names().toString());
    assertEquals(List.of("fresh@1"), b.list().stream().map(ModelRecord::ref).toList());
    ModelRecord v2 = create(b, "fresh", "y");
    assertEquals(2, v2.version());
    assertEquals(v2, replicaA().get("fresh"));
  }

  @Test
  void aDeletedVersionIsGoneEverywhereAndItsNumberStaysTaken() throws Exception {
    ModelStore a = replicaA();
    ModelStore b = replicaB();
    create(a, "m", "1");
    ModelRecord v2 = create(a, "m", "2");
    assertEquals(v2, b.get("m@2")); // B has seen it
    assertEquals(v2, a.delete("m@2"));
    assertTrue(b.find("m@2").isEmpty());
    assertEquals(1, b.get("m").version());
    assertEquals(List.of("m@1"), b.list().stream().map(ModelRecord::ref).toList());
    GraftException again = assertThrows(GraftException.class, () -> b.delete("m@2"));
    assertEquals(ErrorKind.NOT_FOUND, again.kind());
    assertEquals(ModelStore.MODEL_NOT_FOUND, again.reason());
    assertEquals(3, create(b, "m", "3").version(), "a deleted version's number is never reused");
    b.delete("m@3");
    a.delete("m@1");
    assertTrue(a.find("m").isEmpty());
    assertTrue(b.list().isEmpty());
    assertEquals(4, create(a, "m", "4").version(), "nor is the number of the last one");
  }

  @Test
  void aliasesSetOnOneReplicaResolveOnTheOther() throws Exception {
    ModelStore a = replicaA();
    ModelStore b = replicaB();
    ModelRecord v1 = create(a, "m", "1");
    ModelRecord v2 = create(a, "m", "2");
    assertEquals(0, a.aliases().set("m", "prod", 1));
    assertEquals(v1, b.get("m:prod"));
    assertEquals(1, b.aliases().set("m", "prod", 2), "moved: the previous version comes back");
    assertEquals(v2, a.get("m:prod"));
    a.aliases().set("m", "canary", 2);
    assertEquals(Map.of("canary", 2, "prod", 2), b.aliases().of("m"));
    assertEquals(List.of("canary", "prod"), b.aliases().naming("m", 2));
    assertEquals(OptionalInt.of(2), b.aliases().version("m", "prod"));
    assertEquals(OptionalInt.of(2), b.aliases().delete("m", "prod"));
    assertTrue(a.find("m:prod").isEmpty());
    assertEquals(OptionalInt.empty(), a.aliases().delete("m", "prod"));
    a.delete("m@2");
    assertTrue(b.find("m:canary").isEmpty(), "an alias of a deleted version finds nothing");
    GraftException bad = assertThrows(GraftException.class, () -> a.aliases().set("m", "Prod", 1));
    assertEquals(ErrorKind.INVALID_ARGUMENT, bad.kind());
    assertEquals("INVALID_ALIAS", bad.reason());
  }

  @Test
  void aFileNamedLikeTheManifestIsRefusedAndTakesNoVersion() throws Exception {
    ModelStore a = replicaA();
    Path staged = a.newStagingDirectory();
    Files.writeString(staged.resolve(ModelStore.MANIFEST), "{}");
    GraftException e = assertThrows(GraftException.class, () -> a.create(draft("m"), staged));
    assertEquals(ErrorKind.INVALID_ARGUMENT, e.kind());
    assertEquals("RESERVED_FILE_NAME", e.reason());
    assertTrue(replicaB().find("m").isEmpty());
    assertEquals(1, create(a, "m", "ok").version());
  }

  @Test
  void missingAndMalformedReferences() throws Exception {
    create(replicaA(), "m", "x");
    GraftException missing = assertThrows(GraftException.class, () -> replicaB().get("m@7"));
    assertEquals(ErrorKind.NOT_FOUND, missing.kind());
    assertEquals(ModelStore.MODEL_NOT_FOUND, missing.reason());
    assertTrue(replicaB().find("m:nope").isEmpty());
    for (String bad : new String[] {"", "Upper", "m@0", "m@x", "../etc"}) {
      GraftException e = assertThrows(GraftException.class, () -> replicaB().get(bad), bad);
      assertEquals(ErrorKind.INVALID_ARGUMENT, e.kind(), bad);
      assertEquals("name", e.field(), bad);
    }
    GraftException badName = assertThrows(GraftException.class,
        () -> replicaA().create(draft("Bad Name"), replicaA().newStagingDirectory()));
    assertEquals(ErrorKind.INVALID_ARGUMENT, badName.kind());
  }
}
