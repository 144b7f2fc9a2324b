package dev.graft.server.core.store.blob;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.server.MinioServer;
import dev.graft.server.core.store.s3.S3BlobStore;
import dev.graft.spi.ErrorKind;
import dev.graft.spi.GraftException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link BlobCache} and {@link BlobFolders} against a real MinIO ({@link MinioServer}). */
class BlobCacheTest {
  private static MinioServer minio;

  @TempDir Path tmp;
  private S3BlobStore store;
  private Path cacheDir;

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

  @BeforeEach
  void newPrefix() {
    store = minio.newStore("cache-" + UUID.randomUUID());
    cacheDir = tmp.resolve("cache");
  }

  @AfterEach
  void closeStore() {
    store.close();
  }

  /** A folder of random files (nested, one empty, two with equal content), uploaded. */
  private Map<String, BlobRef> uploadFolder(String name, int size, long seed) throws IOException {
    Path folder = folder(name, size, seed);
    return BlobFolders.upload(store, folder);
  }

  private Path folder(String name, int size, long seed) throws IOException {
    Path folder = tmp.resolve("src").resolve(name);
    Random random = new Random(seed);
    write(folder.resolve("model.onnx"), random, size);
    write(folder.resolve("tokenizer/vocab.txt"), random, 1000);
    write(folder.resolve("empty"), random, 0);
    Files.copy(folder.resolve("tokenizer/vocab.txt"), folder.resolve("tokenizer/copy.txt"));
    return folder;
  }

  private static void write(Path p, Random random, int size) throws IOException {
    byte[] b = new byte[size];
    random.nextBytes(b);
    Files.createDirectories(p.getParent());
    Files.write(p, b);
  }

  private static void assertSameTree(Path expected, Path actual) throws IOException {
    assertEquals(files(expected), files(actual));
    for (String rel : files(expected)) {
      assertEquals(-1, Files.mismatch(expected.resolve(rel), actual.resolve(rel)), rel);
    }
  }

  private static Set<String> files(Path root) throws IOException {
    try (Stream<Path> walk = Files.walk(root)) {
      return walk.filter(Files::isRegularFile).map(p -> root.relativize(p).toString())
          .collect(java.util.stream.Collectors.toCollection(java.util.TreeSet::new));
    }
  }

  private static long entriesOnDisk(Path cacheDir) throws IOException {
    try (Stream<Path> s = Files.list(cacheDir.resolve("entries"))) {
      return s.count();
    }
  }

  @Test
  void aFolderRoundTripsThroughUploadAndMaterialise() throws IOException {
    Path src = folder("m", 300_000, 1);
    Map<String, BlobRef> refs = BlobFolders.upload(store, src);
    assertEquals(Set.of("model.onnx", "tokenizer/vocab.txt", "tokenizer/copy.txt", "empty"), refs.keySet());
    assertEquals(refs.get("tokenizer/vocab.txt"), refs.get("tokenizer/copy.txt"));
    assertEquals(ContentAddress.ref(src.resolve("model.onnx")), refs.get("model.onnx"));
    assertEquals(refs, BlobFolders.describe(src));
    // three distinct contents: three blobs, under content-addressed keys
    assertEquals(3, store.list(ContentAddress.PREFIX).size());
    for (BlobInfo info : store.list(ContentAddress.PREFIX)) {
      assertTrue(ContentAddress.isKey(info.key()), info.key());
    }
    // a second upload sends nothing new
    var before = store.list("");
    assertEquals(refs, BlobFolders.upload(store, src));
    assertEquals(before, store.list(""));

    BlobCache cache = new BlobCache(cacheDir, store, 10_000_000);
    try (BlobCache.Lease lease = cache.materialise(refs)) {
      assertSameTree(src, lease.path());
      assertEquals(BlobCache.entryId(refs), lease.id());
    }
    assertEquals(0, cache.hits());
    assertEquals(1, cache.misses());
    assertEquals(300_000 + 1000, cache.bytesDownloaded(), "each distinct blob downloaded once");
    assertEquals(300_000 + 2000, cache.cachedBytes());
  }

  @Test
  void aSecondMaterialiseIsAHitWithoutDownload() throws IOException {
    Map<String, BlobRef> refs = uploadFolder("m", 200_000, 2);
    BlobCache cache = new BlobCache(cacheDir, store, 10_000_000);
    Path first;
    try (BlobCache.Lease lease = cache.materialise(refs)) {
      first = lease.path();
    }
    // the blobs are gone from the store: a hit must not need them
    for (BlobInfo info : store.list("")) {
      store.delete(info.key());
    }
    try (BlobCache.Lease lease = cache.materialise(new TreeMap<>(refs))) {
      assertEquals(first, lease.path());
      assertEquals(200_000, Files.size(lease.path().resolve("model.onnx")));
    }
    assertEquals(1, cache.hits());
    assertEquals(1, cache.misses());
    assertEquals(201_000, cache.bytesDownloaded());
    // a restarted process finds it too
    BlobCache again = new BlobCache(cacheDir, store, 10_000_000);
    try (BlobCache.Lease lease = again.materialise(refs)) {
      assertEquals(first, lease.path());
    }
    assertEquals(1, again.hits());
    assertEquals(0, again.bytesDownloaded());
  }

  @Test
  void leastRecentlyUsedEntriesAreEvictedOverTheBound() throws Exception {
    Map<String, BlobRef> a = uploadFolder("a", 100_000, 10);
    Map<String, BlobRef> b = uploadFolder("b", 100_000, 11);
    Map<String, BlobRef> c = uploadFolder("c", 100_000, 12);
    BlobCache cache = new BlobCache(cacheDir, store, 250_000); // each entry is 102,000 bytes
    materialise(cache, a);
    materialise(cache, b);
    materialise(cache, a); // a is now the most recent
    assertEquals(0, cache.evictions());
    materialise(cache, c);
    assertEquals(1, cache.evictions());
    assertTrue(Files.isDirectory(cacheDir.resolve("entries").resolve(BlobCache.entryId(a))));
    assertFalse(Files.exists(cacheDir.resolve("entries").resolve(BlobCache.entryId(b))), "b was least recently used");
    assertTrue(Files.isDirectory(cacheDir.resolve("entries").resolve(BlobCache.entryId(c))));
    assertEquals(204_000, cache.cachedBytes());
    // b comes back on demand
    materialise(cache, b);
    assertEquals(4, cache.misses());
    assertEquals(2, cache.evictions());
    assertTrue(cache.cachedBytes() <= 250_000);
  }

  private static void materialise(BlobCache cache, Map<String, BlobRef> refs) throws InterruptedException {
    try (BlobCache.Lease lease = cache.materialise(refs)) {
      assertTrue(Files.isDirectory(lease.path()));
    }
    Thread.sleep(20); // distinct last-use times, whatever the file system's resolution
  }

  @Test
  void aLeasedEntryIsNeverEvicted() throws Exception {
    Map<String, BlobRef> a = uploadFolder("a", 100_000, 20);
    Map<String, BlobRef> b = uploadFolder("b", 100_000, 21);
    Map<String, BlobRef> c = uploadFolder("c", 100_000, 22);
    BlobCache cache = new BlobCache(cacheDir, store, 150_000); // room for one entry
    try (BlobCache.Lease held = cache.materialise(a)) {
      Thread.sleep(20);
      materialise(cache, b); // over the bound, but a is leased and b is in use while it arrives
      assertEquals(0, cache.evictions());
      assertEquals(2, entriesOnDisk(cacheDir));
      materialise(cache, c); // b goes, a stays
      assertEquals(1, cache.evictions());
      assertTrue(Files.isRegularFile(held.path().resolve("model.onnx")));
      assertEquals(100_000, Files.size(held.path().resolve("model.onnx")));
    }
    materialise(cache, b); // now a (least recently used, released) and c can go
    assertFalse(Files.exists(cacheDir.resolve("entries").resolve(BlobCache.entryId(a))));
    assertEquals(1, entriesOnDisk(cacheDir));
  }

  @Test
  void anEntryLeasedByAnotherProcessIsNotEvicted() throws Exception {
    Map<String, BlobRef> a = uploadFolder("a", 100_000, 30);
    Map<String, BlobRef> b = uploadFolder("b", 100_000, 31);
    BlobCache cache = new BlobCache(cacheDir, store, 150_000);
    materialise(cache, a);
    // another process holds a's lease: a shared POSIX lock (fcntl, as Java's FileLock) from Python
    Path lockFile = cacheDir.resolve("locks").resolve(BlobCache.entryId(a) + ".lock");
    Process other;
    try {
      other = new ProcessBuilder("python3", "-c", "import fcntl, sys, time\n"
          + "f = open(sys.argv[1], 'r+')\nfcntl.lockf(f, fcntl.LOCK_SH)\nprint('locked', flush=True)\n"
          + "time.sleep(60)\n", lockFile.toString()).redirectErrorStream(true).start();
    } catch (IOException e) {
      Assumptions.abort("python3 is needed to hold a lock from another process: " + e);
      return;
    }
    try {
      var out = new BufferedReader(new InputStreamReader(other.getInputStream(), StandardCharsets.UTF_8));
      assertEquals("locked", out.readLine());
      materialise(cache, b);
      assertEquals(0, cache.evictions(), "a is in use by the other process");
      assertTrue(Files.isDirectory(cacheDir.resolve("entries").resolve(BlobCache.entryId(a))));
    } finally {
      other.destroyForcibly();
      other.waitFor(10, TimeUnit.SECONDS);
    }
    Map<String, BlobRef> c = uploadFolder("c", 100_000, 32);
    materialise(cache, c);
    assertFalse(Files.exists(cacheDir.resolve("entries").resolve(BlobCache.entryId(a))), "released: evictable");
  }

  @Test
  void aCorruptedBlobIsRefusedAndLeavesNothing() throws IOException {
    Path src = folder("m", 50_000, 40);
    Map<String, BlobRef> refs = BlobFolders.upload(store, src);
    BlobRef model = refs.get("model.onnx");
    Random random = new Random(41);
    // same length, other bytes; then another length
    for (int size : new int[] {50_000, 49_999}) {
      Path other = tmp.resolve("other-" + size);
      write(other, random, size);
      store.put(model.key(), other);
      BlobCache cache = new BlobCache(cacheDir, store, 10_000_000);
      GraftException e = assertThrows(GraftException.class, () -> cache.materialise(refs));
      assertEquals(ErrorKind.DATA_LOSS, e.kind(), e.getMessage());
      assertEquals("BLOB_CHECKSUM_MISMATCH", e.reason(), e.getMessage());
      assertTrue(e.getMessage().contains(model.sha256()), e.getMessage());
      assertEquals(0, entriesOnDisk(cacheDir));
      assertEquals(List.of(), listAll(cacheDir.resolve("staging")), "no half-written file stays");
      assertEquals(0, cache.cachedBytes());
    }
    // repaired: served
    store.put(model.key(), src.resolve("model.onnx"));
    try (BlobCache.Lease lease = new BlobCache(cacheDir, store, 10_000_000).materialise(refs)) {
      assertSameTree(src, lease.path());
    }
  }

  private static List<Path> listAll(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(p -> !p.equals(dir)).toList();
    }
  }

  @Test
  void aMissingBlobFailsWithNotFoundAndLeavesNothing() throws IOException {
    Map<String, BlobRef> refs = uploadFolder("m", 10_000, 50);
    store.delete(refs.get("model.onnx").key());
    BlobCache cache = new BlobCache(cacheDir, store, 10_000_000);
    GraftException e = assertThrows(GraftException.class, () -> cache.materialise(refs));
    assertEquals("BLOB_NOT_FOUND", e.reason());
    assertEquals(0, entriesOnDisk(cacheDir));
    assertEquals(List.of(), listAll(cacheDir.resolve("staging")));
  }

  @Test
  void pathsThatLeaveTheFolderAreRefused() throws IOException {
    BlobRef ref = uploadFolder("m", 10, 60).get("model.onnx");
    BlobCache cache = new BlobCache(cacheDir, store, 10_000_000);
    for (String bad : new String[] {"../x", "/etc/passwd", "a/../../x", "a//b", "./a", "", "a/"}) {
      GraftException e = assertThrows(GraftException.class, () -> cache.materialise(Map.of(bad, ref)), bad);
      assertEquals("INVALID_BLOB_PATH", e.reason(), bad);
    }
  }

  @Test
  void fourThreadsMaterialisingOneEntryDownloadItOnce() throws Exception {
    Path src = folder("m", 2_000_000, 70);
    Map<String, BlobRef> refs = BlobFolders.upload(store, src);
    BlobCache cache = new BlobCache(cacheDir, store, 100_000_000);
    BlobCache otherProcess = new BlobCache(cacheDir, store, 100_000_000); // a second instance, same folder
    ExecutorService pool = Executors.newFixedThreadPool(6);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<Path>> results = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        BlobCache c = i < 4 ? cache : otherProcess;
        results.add(pool.submit(() -> {
          go.await();
          try (BlobCache.Lease lease = c.materialise(refs)) {
            assertSameTree(src, lease.path());
            return lease.path();
          }
        }));
      }
      go.countDown();
      Set<Path> paths = new java.util.HashSet<>();
      for (Future<Path> f : results) {
        paths.add(f.get(60, TimeUnit.SECONDS));
      }
      assertEquals(1, paths.size());
    } finally {
      pool.shutdownNow();
    }
    assertEquals(1, cache.misses() + otherProcess.misses(), "one download in one JVM");
    assertEquals(5, cache.hits() + otherProcess.hits());
    assertEquals(2_001_000, cache.bytesDownloaded() + otherProcess.bytesDownloaded());
    assertEquals(1, entriesOnDisk(cacheDir));
    assertEquals(List.of(), listAll(cacheDir.resolve("staging")));
  }
}
