package dev.graft.server.core.store.sql;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.server.MinioServer;
import dev.graft.server.PostgresServer;
import dev.graft.server.core.store.DatasetIntake;
import dev.graft.server.core.store.DatasetRecord;
import dev.graft.server.core.store.DiskSpace;
import dev.graft.server.core.store.JsonCodec;
import dev.graft.server.core.store.ModelRecord;
import dev.graft.server.core.store.ModelStore;
import dev.graft.server.core.store.blob.BlobCache;
import dev.graft.server.core.store.blob.BlobFolders;
import dev.graft.server.core.store.blob.BlobGarbageCollector;
import dev.graft.server.core.store.blob.BlobInfo;
import dev.graft.server.core.store.blob.BlobRef;
import dev.graft.server.core.store.blob.ContentAddress;
import dev.graft.server.core.store.s3.S3BlobStore;
import dev.graft.spi.ErrorKind;
import dev.graft.spi.GraftException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shared model and dataset stores when things go wrong, against a real PostgreSQL and MinIO:
 * blobs of a publish that never committed are collected while referenced ones stay, an object
 * store or a database that is down fails UNAVAILABLE without leaving a version, and the cache leases
 * behind {@code directory()}.
 */
class SqlStoreFaultsTest {
  private static PostgresServer postgres;
  private static MinioServer minio;
  @TempDir Path dir;

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

  @Test
  void blobsOfAPublishThatNeverCommittedAreCollectedAndReferencedOnesStay() throws Exception {
    try (SharedReplicas r = SharedReplicas.open(postgres, minio, dir, SharedReplicas.limits(10))) {
      ModelRecord kept = ModelStoreContract.create(r.a.models(), "kept", "kept weights");
      ModelStoreContract.create(r.a.models(), "gone", "deleted weights");
      DatasetRecord reviews = DatasetStoreContract.upload(r.b.datasets(), "reviews", DatasetStoreContract.TEXT, "alice");
      // A publish cut short: its blob was uploaded, its row never inserted.
      Path orphanDir = Files.createDirectories(dir.resolve("orphan"));
      Files.writeString(orphanDir.resolve("weights.bin"), "never committed");
      BlobRef orphan = BlobFolders.upload(r.a.blobs(), orphanDir).get("weights.bin");
      r.b.models().delete("gone@1");
      Path checkpoint = Files.createDirectories(dir.resolve("checkpoint"));
      Files.writeString(checkpoint.resolve("state.pt"), "epoch 3");
      new SqlCheckpointStore(r.a.db(), r.a.blobs(), new JsonCodec()).save("job-1", 3, checkpoint);

      Set<String> referenced = new SqlBlobReferences(r.a.db()).get();
      assertEquals(Set.of(sha("kept weights"), sha("a\nb\n"), sha(DatasetStoreContract.TEXT), sha("epoch 3")),
          referenced, "the live version's files, the dataset's part and the running job's checkpoint;"
              + " not the deleted version's, not the orphan");

      BlobGarbageCollector gc = new BlobGarbageCollector(r.a.blobs(), new SqlBlobReferences(r.b.db()),
          BlobGarbageCollector.MIN_AGE_FLOOR);
      BlobGarbageCollector.Result result = gc.collectBefore(Instant.now().plusSeconds(60));
      assertEquals(Set.of(orphan.key(), ContentAddress.key(sha("deleted weights"))),
          result.removed().stream().map(BlobInfo::key).collect(Collectors.toSet()));
      assertFalse(r.a.blobs().exists(orphan.key()));
      assertTrue(r.a.blobs().exists(ContentAddress.key(sha("a\nb\n"))), "shared with the live version: kept");

      // What stays reads back on a replica with an empty cache.
      BlobCache empty = new BlobCache(dir.resolve("empty-cache"), r.a.blobs(), 1L << 20);
      try (SqlModelStore models = new SqlModelStore(r.a.db(), r.a.blobs(), empty, Duration.ofMinutes(1),
          new JsonCodec(), dir.resolve("staging-c"));
          SqlDatasetStore datasets = new SqlDatasetStore(r.a.db(), r.a.blobs(), empty, Duration.ofMinutes(1),
              new JsonCodec(), new DatasetIntake(dir.resolve("staging-c"), SharedReplicas.PARSERS, 1 << 20,
                  SharedReplicas.limits(10), new DiskSpace(0, () -> Long.MAX_VALUE)))) {
        assertEquals("kept weights", Files.readString(models.directory(kept).resolve("head.bin")));
        assertEquals(3, datasets.examples(reviews.id()).size());
        GraftException deleted = assertThrows(GraftException.class,
            () -> models.directory(r.a.models().get("kept").withVersion(2)));
        assertEquals(ErrorKind.NOT_FOUND, deleted.kind());
      }
    }
  }

  @Test
  void anObjectStoreThatIsDownFailsUnavailableAndStoresNothing() throws Exception {
    MinioServer own = MinioServer.start();
    try (own; SharedReplicas r = SharedReplicas.open(postgres, own, dir, SharedReplicas.limits(10))) {
      ModelStoreContract.create(r.a.models(), "m", "before");
      own.kill();
      assertUnavailable("BLOB_STORE_UNAVAILABLE", () -> ModelStoreContract.create(r.a.models(), "m", "after"));
      assertUnavailable("BLOB_STORE_UNAVAILABLE",
          () -> DatasetStoreContract.upload(r.b.datasets(), "reviews", DatasetStoreContract.TEXT, "alice"));
      assertEquals(1, r.count(postgres, "SELECT count(*) FROM model_versions"), "no row for the failed publish");
      assertEquals(0, r.count(postgres, "SELECT count(*) FROM datasets"));
      assertEquals(1, r.b.models().get("m").version(), "the metadata still answers");
      assertEquals(0, r.a.datasets().list().size());
    }
  }

  @Test
  void aDatabaseThatIsDownFailsUnavailableAndTheNextPublishTakesTheNextNumber() throws Exception {
    PostgresServer own = PostgresServer.startOrSkip();
    try (own; SharedReplicas r = SharedReplicas.open(own, minio, dir, SharedReplicas.limits(10))) {
      ModelRecord v1 = ModelStoreContract.create(r.a.models(), "m", "1");
      r.a.models().aliases().set("m", "prod", 1);
      own.stop();
      assertUnavailable(SqlErrors.STORE_UNAVAILABLE, () -> r.a.models().find("m"));
      assertUnavailable(SqlErrors.STORE_UNAVAILABLE, () -> r.b.models().list());
      assertUnavailable(SqlErrors.STORE_UNAVAILABLE, () -> ModelStoreContract.create(r.a.models(), "m", "2"));
      assertUnavailable(SqlErrors.STORE_UNAVAILABLE, () -> r.a.models().aliases().set("m", "prod", 2));
      assertUnavailable(SqlErrors.STORE_UNAVAILABLE, () -> r.a.models().directory(v1));
      assertUnavailable(SqlErrors.STORE_UNAVAILABLE,
          () -> DatasetStoreContract.upload(r.b.datasets(), "reviews", DatasetStoreContract.TEXT, "alice"));
      assertUnavailable(SqlErrors.STORE_UNAVAILABLE, () -> r.b.datasets().find("reviews"));
      assertTrue(r.a.models().names().contains("m"), "names for suggestions fall back to those seen");
      own.start();
      // the pools reconnect on their own; on a loaded machine the first connection may take a while
      assertEquals(v1, untilAvailable(() -> r.b.models().get("m")));
      assertEquals(v1, r.b.models().get("m:prod"));
      assertEquals(2, ModelStoreContract.create(r.b.models(), "m", "2").version());
    }
  }

  @Test
  void directoryLeasesHoldFilesUntilIdleThenTheCacheMayEvictThem() throws Exception {
    try (S3BlobStore blobs = minio.newStore("leases-" + UUID.randomUUID())) {
      BlobCache cache = new BlobCache(dir.resolve("cache"), blobs, 20); // room for two 8-byte entries
      Map<String, BlobRef> a = upload(blobs, "aaaaaaaa");
      Map<String, BlobRef> b = upload(blobs, "bbbbbbbb");
      Map<String, BlobRef> c = upload(blobs, "cccccccc");
      Map<String, BlobRef> d = upload(blobs, "dddddddd");
      long[] now = {0};
      CacheLeases leases = new CacheLeases(cache, Duration.ofMinutes(10), () -> now[0]);
      try {
        Path pa = leases.hold("a", a);
        now[0] = Duration.ofMinutes(5).toNanos();
        Path pb = leases.hold("b", b);
        now[0] = Duration.ofMinutes(12).toNanos();
        assertEquals(pb, leases.hold("b", b), "renewed; a has been idle 12 minutes");
        Path pc = leases.hold("c", c); // a download: the bound evicts what is not leased
        assertFalse(Files.exists(pa), "a's hold ran out: evicted");
        assertEquals("bbbbbbbb", Files.readString(pb.resolve("f")), "b is held: kept");
        assertEquals("cccccccc", Files.readString(pc.resolve("f")));
        leases.release("b");
        leases.hold("d", d);
        assertFalse(Files.exists(pb), "released: evicted");
        assertEquals(2, leases.size());
      } finally {
        leases.close();
      }
      assertEquals(0, leases.size(), "closing ends every lease");
    }
  }

  private Map<String, BlobRef> upload(S3BlobStore blobs, String content) throws Exception {
    Path folder = Files.createDirectories(dir.resolve("up-" + content));
    Files.writeString(folder.resolve("f"), content);
    return BlobFolders.upload(blobs, folder);
  }

  private static void assertUnavailable(String reason, Executable call) {
    GraftException e = assertThrows(GraftException.class, call);
    assertEquals(ErrorKind.UNAVAILABLE, e.kind(), e.getMessage());
    assertEquals(reason, e.reason(), e.getMessage());
  }

  private static String sha(String content) throws Exception {
    return HexFormat.of().formatHex(
        MessageDigest.getInstance("SHA-256").digest(content.getBytes(StandardCharsets.UTF_8)));
  }

  /** {@code call}'s result once the store answers again: UNAVAILABLE is retried for up to 20 s. */
  private static <T> T untilAvailable(Supplier<T> call) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (true) {
      try {
        return call.get();
      } catch (GraftException e) {
        if (e.kind() != ErrorKind.UNAVAILABLE || System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(100);
      }
    }
  }
}
