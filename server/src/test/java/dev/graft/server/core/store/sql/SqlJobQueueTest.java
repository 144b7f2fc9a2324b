package dev.graft.server.core.store.sql;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.server.MinioServer;
import dev.graft.server.PostgresServer;
import dev.graft.server.core.store.JobQueue;
import dev.graft.server.core.store.JsonCodec;
import dev.graft.spi.ErrorKind;
import dev.graft.spi.GraftException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The cluster's job queue and checkpoint copies against a real PostgreSQL and MinIO. */
class SqlJobQueueTest {
  private static final Duration LEASE = Duration.ofSeconds(2);
  private static PostgresServer postgres;
  private static MinioServer minio;

  @BeforeAll
  static void start() throws Exception {
    postgres = PostgresServer.startOrSkip();
    minio = MinioServer.start();
  }

  @AfterAll
  static void stop() throws Exception {
    if (minio != null) {
      minio.close();
    }
    if (postgres != null) {
      postgres.close();
    }
  }

  @Test
  void claimsByPriorityThenAgeAndNeverTwice() throws Exception {
    try (Database db = postgres.newStoreDatabase()) {
      alive(db, "a");
      alive(db, "b");
      SqlJobQueue a = new SqlJobQueue(db, "a", LEASE);
      SqlJobQueue b = new SqlJobQueue(db, "b", LEASE);
      a.enqueue("job-low", "default", 0, "{}", 100);
      a.enqueue("job-high", "default", 5, "{}", 100);
      a.enqueue("job-low-2", "default", 0, "{}", 100);
      a.enqueue("job-gpu", "gpu", 9, "{}", 100);
      assertEquals("job-high", b.claim("default").orElseThrow().id());
      assertEquals("job-low", a.claim("default").orElseThrow().id());
      JobQueue.Claim last = b.claim("default").orElseThrow();
      assertEquals("job-low-2", last.id());
      assertEquals(1, last.attempt());
      assertEquals(Optional.empty(), a.claim("default"));
      assertEquals(new JobQueue.Depth(0, 3), a.depth().get("default"));
      assertEquals(new JobQueue.Depth(1, 0), a.depth().get("gpu"));

      // 200 jobs claimed by 8 threads of two replicas at once: each exactly once
      for (int i = 0; i < 200; i++) {
        a.enqueue(String.format("job-%03d", i), "race", 0, "{}", 1000);
      }
      Set<String> claimed = ConcurrentHashMap.newKeySet();
      List<String> duplicates = Collections.synchronizedList(new ArrayList<>());
      ExecutorService pool = Executors.newFixedThreadPool(8);
      CountDownLatch go = new CountDownLatch(1);
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        SqlJobQueue q = t % 2 == 0 ? a : b;
        futures.add(pool.submit(() -> {
          go.await();
          for (Optional<JobQueue.Claim> c = q.claim("race"); c.isPresent(); c = q.claim("race")) {
            if (!claimed.add(c.get().id())) {
              duplicates.add(c.get().id());
            }
          }
          return null;
        }));
      }
      go.countDown();
      for (Future<?> f : futures) {
        f.get();
      }
      pool.shutdown();
      assertEquals(List.of(), duplicates);
      assertEquals(200, claimed.size());
    }
  }

  @Test
  void aFullPoolRefusesAndCancelRemovesOnlyUnclaimedJobs() throws Exception {
    try (Database db = postgres.newStoreDatabase()) {
      alive(db, "a");
      SqlJobQueue a = new SqlJobQueue(db, "a", LEASE);
      a.enqueue("job-1", "default", 0, "{}", 2);
      a.enqueue("job-2", "default", 0, "{}", 2);
      GraftException full = assertThrows(GraftException.class, () -> a.enqueue("job-3", "default", 0, "{}", 2));
      assertEquals(ErrorKind.RESOURCE_EXHAUSTED, full.kind());
      assertEquals("QUEUE_FULL", full.reason());
      assertFalse(a.contains("job-3"));
      assertEquals("job-1", a.claim("default").orElseThrow().id());
      assertFalse(a.removeIfUnclaimed("job-1"));
      assertTrue(a.removeIfUnclaimed("job-2"));
      assertFalse(a.contains("job-2"));
      a.finished("job-1");
      assertFalse(a.contains("job-1"));
    }
  }

  @Test
  void jobsOfADeadReplicaAreQueuedAgainUntilTheirAttemptsAreUsedUp() throws Exception {
    try (Database db = postgres.newStoreDatabase()) {
      alive(db, "a");
      alive(db, "b");
      SqlJobQueue a = new SqlJobQueue(db, "a", LEASE);
      SqlJobQueue b = new SqlJobQueue(db, "b", LEASE);
      a.enqueue("job-1", "default", 0, "{\"x\":1}", 10);
      assertEquals("job-1", a.claim("default").orElseThrow().id());
      assertEquals(List.of(), b.sweepLost(2), "a is alive: its claim holds");
      dead(db, "a");
      List<JobQueue.Lost> lost = b.sweepLost(2);
      assertEquals(List.of(new JobQueue.Lost("job-1", "a", 1, true)), lost);
      assertEquals(List.of(), b.sweepLost(2), "handled once");
      JobQueue.Claim again = b.claim("default").orElseThrow();
      assertEquals(2, again.attempt());
      assertEquals("{\"x\":1}", again.command());
      dead(db, "b");
      alive(db, "c");
      SqlJobQueue c = new SqlJobQueue(db, "c", LEASE);
      assertEquals(List.of(new JobQueue.Lost("job-1", "b", 2, false)), c.sweepLost(2));
      assertFalse(c.contains("job-1"));
    }
  }

  @Test
  void checkpointsRoundTripThroughObjectStorageAndAreReplacedWhole(@TempDir Path tmp) throws Exception {
    try (Database db = postgres.newStoreDatabase()) {
      SqlCheckpointStore store = new SqlCheckpointStore(db, minio.newStore("ckpt"), new JsonCodec());
      Path epoch1 = Files.createDirectories(tmp.resolve("e1"));
      Files.write(epoch1.resolve("model.params"), new byte[] {1, 2, 3});
      Files.writeString(epoch1.resolve("state.json"), "{\"epoch\":1}");
      store.save("job-1", 1, epoch1);
      Path epoch2 = Files.createDirectories(tmp.resolve("e2/sub"));
      Files.write(tmp.resolve("e2/model.params"), new byte[] {4, 5});
      Files.writeString(epoch2.resolve("head.params"), "head");
      store.save("job-1", 2, tmp.resolve("e2"));

      Path restored = tmp.resolve("restored");
      assertEquals(OptionalInt.of(2), store.restore("job-1", restored));
      assertArrayEquals(new byte[] {4, 5}, Files.readAllBytes(restored.resolve("model.params")));
      assertEquals("head", Files.readString(restored.resolve("sub/head.params")));
      assertFalse(Files.exists(restored.resolve("state.json")), "epoch 1's files are not mixed in");
      assertEquals(OptionalInt.empty(), store.restore("job-2", tmp.resolve("none")));
      store.delete("job-1");
      assertEquals(OptionalInt.empty(), store.restore("job-1", tmp.resolve("gone")));
    }
  }

  private static void alive(Database db, String id) {
    heartbeat(db, id, "now()");
  }

  private static void dead(Database db, String id) {
    heartbeat(db, id, "now() - interval '1 hour'");
  }

  private static void heartbeat(Database db, String id, String when) {
    db.transaction("heartbeat", c -> {
      try (PreparedStatement s = c.prepareStatement("INSERT INTO instances (id, host, started_at, heartbeat_at)"
          + " VALUES (?, 'test', now(), " + when + ") ON CONFLICT (id) DO UPDATE SET heartbeat_at = " + when)) {
        s.setString(1, id);
        s.executeUpdate();
      }
      return null;
    });
  }
}
