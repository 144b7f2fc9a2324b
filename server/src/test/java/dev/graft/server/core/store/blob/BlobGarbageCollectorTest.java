package dev.graft.server.core.store.blob;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.server.MinioServer;
import dev.graft.server.core.store.s3.S3BlobStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link BlobGarbageCollector} against a real MinIO ({@link MinioServer}). */
class BlobGarbageCollectorTest {
  private static MinioServer minio;

  @TempDir Path tmp;

  @BeforeAll
  static void startMinio() throws IOException {
    minio = MinioServer.start();
  }

  @AfterAll
  static void stopMinio() {
    if (minio != null) {
      minio.close();
    }
  }

  private BlobRef put(S3BlobStore store, String content) throws IOException {
    Path f = tmp.resolve(UUID.randomUUID().toString());
    Files.writeString(f, content);
    BlobRef ref = ContentAddress.ref(f);
    assertTrue(store.putIfAbsent(ref.key(), f));
    return ref;
  }

  @Test
  void unreferencedOldBlobsGoReferencedAndYoungOnesStay() throws Exception {
    try (S3BlobStore store = minio.newStore("gc-" + UUID.randomUUID())) {
      BlobRef referenced = put(store, "in a published model");
      BlobRef orphan = put(store, "left by a crash mid-publish");
      Path other = tmp.resolve("other");
      Files.writeString(other, "not content-addressed");
      store.put("checkpoints/job-1/step-10", other);
      store.put("blobs/sha256/zz/not-a-blob", other);
      Thread.sleep(1500);
      Instant cutoff = Instant.now();
      Thread.sleep(1500);
      BlobRef young = put(store, "uploaded by a publish still in flight");

      AtomicInteger reads = new AtomicInteger();
      var gc = new BlobGarbageCollector(store, () -> {
        reads.incrementAndGet();
        return Set.of(referenced.sha256());
      }, Duration.ofDays(1));
      BlobGarbageCollector.Result result = gc.collectBefore(cutoff);

      assertEquals(1, reads.get());
      assertEquals(List.of(orphan.key()), result.removed().stream().map(BlobInfo::key).toList());
      assertEquals(orphan.size(), result.bytesFreed());
      assertFalse(store.exists(orphan.key()));
      assertTrue(store.exists(referenced.key()));
      assertTrue(store.exists(young.key()));
      assertTrue(store.exists("checkpoints/job-1/step-10"), "only content-addressed keys are collected");
      assertTrue(store.exists("blobs/sha256/zz/not-a-blob"));

      // with the real minimum age (a day) everything here is young
      assertEquals(List.of(), gc.collect().removed());
      assertTrue(store.exists(young.key()));
      // a second run has nothing left to do
      assertEquals(List.of(), gc.collectBefore(cutoff).removed());
    }
  }

  @Test
  void aMinimumAgeBelowTheFloorIsRefused() {
    assertThrows(IllegalArgumentException.class,
        () -> new BlobGarbageCollector(minio.store(), Set::of, Duration.ofMinutes(5)));
  }

  @Test
  void aFailingReferenceQueryDeletesNothing() throws IOException {
    try (S3BlobStore store = minio.newStore("gc-" + UUID.randomUUID())) {
      BlobRef orphan = put(store, "x");
      var gc = new BlobGarbageCollector(store, () -> {
        throw new IllegalStateException("database down");
      }, Duration.ofDays(1));
      assertThrows(IllegalStateException.class, () -> gc.collectBefore(Instant.now().plusSeconds(60)));
      assertTrue(store.exists(orphan.key()));
    }
  }
}
