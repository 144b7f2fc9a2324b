package dev.graft.server.core.store.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.server.MinioServer;
import dev.graft.server.core.store.blob.BlobInfo;
import dev.graft.server.core.store.blob.BlobStore;
import dev.graft.server.core.store.blob.ContentAddress;
import dev.graft.spi.ErrorKind;
import dev.graft.spi.GraftException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/** {@link S3BlobStore} against a real MinIO ({@link MinioServer}). */
class S3BlobStoreTest {
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

  static Path randomFile(Path dir, String name, int bytes, long seed) throws IOException {
    byte[] data = new byte[bytes];
    new Random(seed).nextBytes(data);
    Path p = dir.resolve(name);
    Files.createDirectories(p.getParent());
    Files.write(p, data);
    return p;
  }

  private static String prefix() {
    return "t-" + UUID.randomUUID();
  }

  @Test
  void multiMegabyteFilesRoundTripByteForByteInOnePutAndInParts() throws IOException {
    // threshold 6 MiB, parts of 5 MiB: the 3 MB file goes in one PUT, the 13 MB one in 3 parts
    var options = S3BlobStore.Options.DEFAULTS.withMultipart(6L << 20, 5L << 20);
    try (S3BlobStore store = minio.newStore(new S3Location(minio.bucket(), prefix()), options)) {
      for (int size : new int[] {3_000_000, 13_000_001, 0}) {
        Path file = randomFile(tmp, "in-" + size, size, size);
        String key = ContentAddress.key(ContentAddress.sha256(file));
        store.put(key, file);
        Path back = tmp.resolve("out-" + size);
        store.get(key, back);
        assertEquals(-1, Files.mismatch(file, back), "content of " + size + " bytes");
        assertEquals(size, store.stat(key).orElseThrow().size());
      }
      // get replaces an existing target
      Path small = randomFile(tmp, "small", 10, 1);
      store.put("k", small);
      Path target = randomFile(tmp, "target", 1000, 2);
      store.get("k", target);
      assertEquals(-1, Files.mismatch(small, target));
    }
  }

  @Test
  void putIfAbsentIsIdempotent() throws IOException {
    try (S3BlobStore store = minio.newStore(prefix())) {
      Path file = randomFile(tmp, "f", 100_000, 3);
      String key = ContentAddress.key(ContentAddress.sha256(file));
      assertTrue(store.putIfAbsent(key, file));
      BlobInfo first = store.stat(key).orElseThrow();
      assertFalse(store.putIfAbsent(key, file));
      assertEquals(first, store.stat(key).orElseThrow(), "a second put of a fresh blob changes nothing");
      assertEquals(1, store.list("").size());
    }
  }

  @Test
  void anOldBlobFoundByPutIfAbsentIsRenewedForTheCollector() throws Exception {
    // what putIfAbsent does to a blob older than REFRESH_AGE: a copy onto itself, content kept
    try (S3BlobStore store = minio.newStore(prefix())) {
      Path file = randomFile(tmp, "f", 100_000, 10);
      String key = ContentAddress.key(ContentAddress.sha256(file));
      store.put(key, file);
      BlobInfo before = store.stat(key).orElseThrow();
      Thread.sleep(1100); // Last-Modified has a resolution of one second
      store.refresh(key, file, before.size());
      BlobInfo after = store.stat(key).orElseThrow();
      assertTrue(after.lastModified().isAfter(before.lastModified()), before + " -> " + after);
      Path back = tmp.resolve("back");
      store.get(key, back);
      assertEquals(-1, Files.mismatch(file, back));
    }
  }

  @Test
  void existsDeleteAndListUnderAPrefix() throws IOException {
    String prefix = prefix();
    try (S3BlobStore store = minio.newStore(prefix); S3BlobStore whole = minio.newStore("")) {
      Path one = randomFile(tmp, "one", 10, 4);
      Path two = randomFile(tmp, "two", 20, 5);
      store.put("a/1", one);
      store.put("a/2", two);
      store.put("b/1", one);
      assertTrue(store.exists("a/1"));
      assertFalse(store.exists("a/3"));
      List<BlobInfo> a = store.list("a/");
      assertEquals(List.of("a/1", "a/2"), a.stream().map(BlobInfo::key).toList());
      assertEquals(List.of(10L, 20L), a.stream().map(BlobInfo::size).toList());
      assertTrue(a.get(0).lastModified().isAfter(java.time.Instant.now().minus(Duration.ofMinutes(5))));
      assertEquals(3, store.list("").size());
      // the store's prefix is part of the object key, not of the store key
      assertEquals(3, whole.list(prefix + "/").size());
      assertTrue(whole.exists(prefix + "/b/1"));

      store.delete("a/1");
      assertFalse(store.exists("a/1"));
      store.delete("a/1"); // absent: not an error
      assertEquals(List.of("a/2"), store.list("a/").stream().map(BlobInfo::key).toList());
      store.check();
    }
  }

  @Test
  void aMissingKeyIsNotFound() {
    BlobStore store = minio.store();
    assertTrue(store.stat("no/such/key").isEmpty());
    assertFalse(store.exists("no/such/key"));
    assertError(ErrorKind.NOT_FOUND, "BLOB_NOT_FOUND", () -> store.get("no/such/key", tmp.resolve("x")));
    assertFalse(Files.exists(tmp.resolve("x")), "no target file for a missing key");
  }

  @Test
  void aMissingBucketIsAFailedPrecondition() throws IOException {
    Path file = randomFile(tmp, "f", 10, 6);
    try (S3BlobStore store = minio.newStore(new S3Location("no-such-bucket", ""), S3BlobStore.Options.DEFAULTS)) {
      assertError(ErrorKind.FAILED_PRECONDITION, "BUCKET_NOT_FOUND", () -> store.put("k", file));
      assertError(ErrorKind.FAILED_PRECONDITION, "BUCKET_NOT_FOUND", () -> store.get("k", tmp.resolve("y")));
      assertError(ErrorKind.FAILED_PRECONDITION, "BUCKET_NOT_FOUND", () -> store.list(""));
      assertError(ErrorKind.FAILED_PRECONDITION, "BUCKET_NOT_FOUND", store::check);
    }
  }

  @Test
  void wrongCredentialsArePermissionDenied() throws IOException {
    Path file = randomFile(tmp, "f", 10, 7);
    try (S3BlobStore store = new S3BlobStore(new S3Location(minio.bucket(), "x"), minio.endpoint(),
        minio.accessKey(), "not-the-secret", MinioServer.REGION, S3BlobStore.Options.DEFAULTS)) {
      assertError(ErrorKind.PERMISSION_DENIED, "BLOB_STORE_ACCESS_DENIED", () -> store.put("k", file));
      assertError(ErrorKind.PERMISSION_DENIED, "BLOB_STORE_ACCESS_DENIED", store::check);
    }
  }

  @Test
  void theStandardAwsEnvironmentConfiguresTheStore() throws IOException {
    Path file = randomFile(tmp, "f", 1000, 8);
    try (S3BlobStore store = S3BlobStore.fromEnvironment(S3Location.parse("s3://" + minio.bucket() + "/env"),
        minio.environment(), S3BlobStore.Options.DEFAULTS)) {
      store.check();
      store.put("k", file);
      assertTrue(store.exists("k"));
      assertTrue(store.describe().contains(minio.endpoint().toString()), store.describe());
    }
  }

  @Test
  void aKilledStoreIsUnavailableWithinSeconds() throws Exception {
    Path file = randomFile(tmp, "f", 1000, 9);
    try (MinioServer doomed = MinioServer.start()) {
      S3BlobStore store = doomed.store();
      store.put("k", file);
      doomed.kill();
      for (Executable call : List.<Executable>of(() -> store.get("k", tmp.resolve("back")),
          () -> store.put("k2", file), () -> store.stat("k"), store::check, () -> store.list(""))) {
        long start = System.nanoTime();
        GraftException e = assertError(ErrorKind.UNAVAILABLE, "BLOB_STORE_UNAVAILABLE", call);
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertTrue(took.compareTo(Duration.ofSeconds(15)) < 0, "failed after " + took);
        assertTrue(e.getMessage().contains(doomed.endpoint().toString()), e.getMessage());
      }
    }
  }

  static GraftException assertError(ErrorKind kind, String reason, Executable call) {
    GraftException e = assertThrows(GraftException.class, call);
    assertEquals(kind, e.kind(), e.getMessage());
    assertEquals(reason, e.reason(), e.getMessage());
    return e;
  }
}
