package dev.graft.server.core.store.blob;

import dev.graft.server.core.store.FileTrees;
import dev.graft.spi.ErrorKind;
import dev.graft.spi.GraftException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;
import java.util.regex.Pattern;

/**
 * A local folder that materialises sets of blobs (a model version, a dataset) as folders of files,
 * downloaded from a {@link BlobStore} on first use, verified, and kept under an LRU bound in bytes
 * ({@code blob-cache-bytes}).
 *
 * <p>An <b>entry</b> is one set of blobs, {@code Map<relativePath, BlobRef>}, identified by the
 * SHA-256 of its sorted listing ({@link #entryId}); equal sets share one entry. Layout of the
 * cache folder:
 *
 * <pre>
 *   entries/&lt;id&gt;/&lt;relative paths&gt;   complete entries only; the folder's mtime is its last use
 *   locks/&lt;id&gt;.lock                 the entry's lease lock (never deleted, zero bytes)
 *   staging/&lt;id&gt;.&lt;uuid&gt;/          one download in progress
 *   trash/                            evicted entries being deleted
 * </pre>
 *
 * <p><b>Download</b>: each missing blob is downloaded to a temporary file under {@code staging/},
 * its size and SHA-256 are checked against the reference (a mismatch is DATA_LOSS {@code
 * BLOB_CHECKSUM_MISMATCH} and the whole staging folder is deleted), it is fsynced and renamed into
 * place; when every file is there, the staging folder is renamed to {@code entries/<id>} in one
 * atomic step. So {@code entries/<id>} is either complete and verified or absent, even after a
 * crash. A blob listed twice in one set is downloaded once.
 *
 * <p><b>Leases</b>: {@link #materialise} returns a {@link Lease}; while it is open the entry is
 * pinned and never evicted. A lease holds a shared OS file lock on {@code locks/<id>.lock} and
 * eviction takes the exclusive lock with {@code tryLock} before renaming the entry into {@code
 * trash/}, so an entry in use by <em>another process</em> sharing the folder is not evicted either.
 * Close the lease when the files are no longer read (e.g. once a model is loaded into memory).
 *
 * <p><b>Bound</b>: after each download, least-recently-used entries that are not leased are evicted
 * until the entries total at most {@code maxBytes}. Leased entries may keep the total above the
 * bound (an entry larger than the bound is still served; everything else unleased is evicted).
 *
 * <p><b>Concurrency</b>: thread-safe. Threads of one JVM materialising the same entry download it
 * once (the others wait and hit). Two processes sharing the folder may both download it; the first
 * rename wins and the other's copy is discarded, so files are always whole. The folder must be on a
 * local file system (OS locks over NFS are unreliable; a cache has no reason to be shared).
 *
 * <p>At construction, leftovers of a crash are removed: {@code trash/} and staging folders older
 * than {@link #STALE_STAGING}.
 */
public final class BlobCache {
  /** Staging folders older than this are a dead process's and are deleted at start-up. */
  public static final Duration STALE_STAGING = Duration.ofHours(24);

  private static final Logger LOG = Logger.getLogger(BlobCache.class.getName());
  private static final Pattern ID = Pattern.compile("[0-9a-f]{64}");
  private static final int BUFFER = 1 << 16;

  /** Leases of this JVM by lock file, shared by every instance (Java file locks are per JVM). */
  private static final Map<Path, Pin> PINS = new HashMap<>();
  /** Striped in-JVM locks serialising downloads of one entry. */
  private static final Object[] FILL_LOCKS = new Object[256];

  static {
    for (int i = 0; i < FILL_LOCKS.length; i++) {
      FILL_LOCKS[i] = new Object();
    }
  }

  private final Path dir;
  private final Path entries;
  private final Path locks;
  private final Path staging;
  private final Path trash;
  private final BlobStore store;
  private final long maxBytes;
  private final Map<String, Long> sizes = new ConcurrentHashMap<>();
  private final AtomicLong hits = new AtomicLong();
  private final AtomicLong misses = new AtomicLong();
  private final AtomicLong bytesDownloaded = new AtomicLong();
  private final AtomicLong evictions = new AtomicLong();

  private static final class Pin {
    final FileChannel channel;
    final FileLock lock;
    int count;

    Pin(FileChannel channel, FileLock lock) {
      this.channel = channel;
      this.lock = lock;
    }
  }

  /**
   * An open use of an entry: its folder stays in place until {@link #close}. Closing twice is
   * harmless. Not for sharing between threads that close it independently.
   */
  public final class Lease implements AutoCloseable {
    private final String id;
    private final Path lockFile;
    private final Path path;
    private boolean closed;

    private Lease(String id, Path lockFile) {
      this.id = id;
      this.lockFile = lockFile;
      this.path = entries.resolve(id);
    }

    /** The entry's folder: the set's files under their relative paths. Read only. */
    public Path path() {
      return path;
    }

    /** The entry's id ({@link #entryId}). */
    public String id() {
      return id;
    }

    @Override
    public void close() {
      synchronized (this) {
        if (closed) {
          return;
        }
        closed = true;
      }
      unpin(lockFile);
    }
  }

  /**
   * @param dir the cache folder, created if absent; local disk, may be shared by processes
   * @param store where blobs are downloaded from
   * @param maxBytes the LRU bound on the entries' total size ({@code blob-cache-bytes}), positive
   */
  public BlobCache(Path dir, BlobStore store, long maxBytes) {
    if (maxBytes <= 0) {
      throw new IllegalArgumentException("blob-cache-bytes must be positive: " + maxBytes);
    }
    this.dir = dir.toAbsolutePath().normalize();
    this.entries = this.dir.resolve("entries");
    this.locks = this.dir.resolve("locks");
    this.staging = this.dir.resolve("staging");
    this.trash = this.dir.resolve("trash");
    this.store = Objects.requireNonNull(store, "store");
    this.maxBytes = maxBytes;
    try {
      for (Path p : List.of(entries, locks, staging, trash)) {
        Files.createDirectories(p);
      }
    } catch (IOException e) {
      throw BlobErrors.io("cannot create the blob cache " + this.dir, e);
    }
    sweepLeftovers();
    evict();
  }

  /** The id of the entry holding {@code files}: the SHA-256 of its sorted listing. */
  public static String entryId(Map<String, BlobRef> files) {
    MessageDigest digest = ContentAddress.newDigest();
    for (var e : new TreeMap<>(files).entrySet()) {
      String line = e.getKey() + "\0" + e.getValue().sha256() + "\0" + e.getValue().size() + "\n";
      digest.update(line.getBytes(StandardCharsets.UTF_8));
    }
    return HexFormat.of().formatHex(digest.digest());
  }

  /**
   * The folder of {@code files}, downloaded and verified if not cached, leased until the returned
   * {@link Lease} is closed. Fails with the store's errors (nothing is left behind), DATA_LOSS
   * {@code BLOB_CHECKSUM_MISMATCH} for a blob whose content is not the one referenced, INVALID_ARGUMENT
   * {@code INVALID_BLOB_PATH} for a path that is absolute or leaves the folder.
   */
  public Lease materialise(Map<String, BlobRef> files) {
    Path probe = staging.resolve("probe");
    for (String relative : files.keySet()) {
      BlobFolders.resolve(probe, relative);
    }
    String id = entryId(files);
    Path lockFile = locks.resolve(id + ".lock");
    Path entry = entries.resolve(id);
    Lease lease;
    boolean downloaded = false;
    synchronized (FILL_LOCKS[Math.floorMod(lockFile.hashCode(), FILL_LOCKS.length)]) {
      pin(lockFile);
      lease = new Lease(id, lockFile);
      try {
        if (Files.isDirectory(entry)) {
          hits.incrementAndGet();
        } else {
          misses.incrementAndGet();
          fill(id, files, entry);
          downloaded = true;
        }
        touch(entry);
      } catch (RuntimeException e) {
        lease.close();
        throw e;
      }
    }
    if (downloaded) {
      evict(); // the new entry is leased: never its own victim
    }
    return lease;
  }

  /** Materialisations served from the cache. */
  public long hits() {
    return hits.get();
  }

  /** Materialisations that downloaded. */
  public long misses() {
    return misses.get();
  }

  /** Bytes downloaded and verified since this instance started. */
  public long bytesDownloaded() {
    return bytesDownloaded.get();
  }

  /** Entries evicted by this instance. */
  public long evictions() {
    return evictions.get();
  }

  /** The entries' total size now (every process's), a listing of {@code entries/}. */
  public long cachedBytes() {
    return scan().stream().mapToLong(EntryState::size).sum();
  }

  /** The LRU bound in bytes. */
  public long maxBytes() {
    return maxBytes;
  }

  /** The cache folder. */
  public Path directory() {
    return dir;
  }

  // ---- download ------------------------------------------------------------------------------

  private void fill(String id, Map<String, BlobRef> files, Path entry) {
    Path stage = staging.resolve(id + "." + UUID.randomUUID());
    Path content = stage.resolve("files");
    Path parts = stage.resolve("parts");
    try {
      Files.createDirectories(content);
      Files.createDirectories(parts);
      Map<String, Path> bySha = new HashMap<>();
      long bytes = 0;
      int n = 0;
      for (var e : new TreeMap<>(files).entrySet()) {
        BlobRef ref = e.getValue();
        Path target = BlobFolders.resolve(content, e.getKey());
        Files.createDirectories(target.getParent());
        Path same = bySha.get(ref.sha256());
        if (same != null) {
          Files.copy(same, target);
          continue;
        }
        Path part = parts.resolve(Integer.toString(n++));
        store.get(ref.key(), part);
        verify(part, ref, e.getKey());
        Files.move(part, target, StandardCopyOption.ATOMIC_MOVE);
        bySha.put(ref.sha256(), target);
        bytes += ref.size();
      }
      Files.delete(parts);
      try {
        Files.move(content, entry, StandardCopyOption.ATOMIC_MOVE);
      } catch (IOException e) {
        if (!Files.isDirectory(entry)) {
          throw e;
        }
        // another process published the same entry first; its files are the same
      }
      sizes.putIfAbsent(id, BlobFolders.totalSize(files));
      bytesDownloaded.addAndGet(bytes);
    } catch (IOException e) {
      throw BlobErrors.io("cannot write into the blob cache " + dir, e);
    } finally {
      deleteTree(stage);
    }
  }

  private void verify(Path file, BlobRef ref, String relative) throws IOException {
    MessageDigest digest = ContentAddress.newDigest();
    long size = 0;
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ByteBuffer buffer = ByteBuffer.allocate(BUFFER);
      for (int r; (r = ch.read(buffer)) > 0; ) {
        buffer.flip();
        digest.update(buffer);
        buffer.clear();
        size += r;
      }
      String sha = HexFormat.of().formatHex(digest.digest());
      if (size != ref.size() || !sha.equals(ref.sha256())) {
        throw new GraftException(ErrorKind.DATA_LOSS, BlobErrors.BLOB_CHECKSUM_MISMATCH, "",
            "blob " + ref.key() + " for '" + relative + "' from " + store.describe() + " is " + size
                + " bytes with SHA-256 " + sha + ", expected " + ref.size() + " bytes with SHA-256 "
                + ref.sha256() + ": the stored object was altered or damaged; nothing was cached", null);
      }
      ch.force(true);
    }
  }

  // ---- leases --------------------------------------------------------------------------------

  private static void pin(Path lockFile) {
    synchronized (PINS) {
      Pin pin = PINS.get(lockFile);
      if (pin == null) {
        FileChannel ch = null;
        try {
          ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.READ,
              StandardOpenOption.WRITE);
          pin = new Pin(ch, ch.lock(0, Long.MAX_VALUE, true));
        } catch (IOException e) {
          closeQuietly(ch);
          throw BlobErrors.io("cannot lock " + lockFile, e);
        }
        PINS.put(lockFile, pin);
      }
      pin.count++;
    }
  }

  private static void unpin(Path lockFile) {
    synchronized (PINS) {
      Pin pin = PINS.get(lockFile);
      if (pin == null || --pin.count > 0) {
        return;
      }
      PINS.remove(lockFile);
      try {
        pin.lock.release();
      } catch (IOException e) {
        LOG.warning("cannot release " + lockFile + ": " + e);
      }
      closeQuietly(pin.channel);
    }
  }

  // ---- eviction ------------------------------------------------------------------------------

  private record EntryState(String id, long size, FileTime lastUsed) {}

  private List<EntryState> scan() {
    List<EntryState> out = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(entries)) {
      for (Path p : ds) {
        String id = p.getFileName().toString();
        if (!ID.matcher(id).matches()) {
          continue;
        }
        try {
          FileTime used = Files.getLastModifiedTime(p);
          Long size = sizes.get(id);
          if (size == null) {
            size = treeSize(p);
            sizes.put(id, size);
          }
          out.add(new EntryState(id, size, used));
        } catch (NoSuchFileException gone) {
          sizes.remove(id); // evicted meanwhile
        }
      }
    } catch (IOException e) {
      throw BlobErrors.io("cannot list the blob cache " + entries, e);
    }
    return out;
  }

  /** Evicts unleased entries, least recently used first, until the total is within the bound. */
  private void evict() {
    List<EntryState> all = scan();
    long total = all.stream().mapToLong(EntryState::size).sum();
    if (total <= maxBytes) {
      return;
    }
    all.sort(Comparator.comparing(EntryState::lastUsed));
    for (EntryState e : all) {
      if (total <= maxBytes) {
        break;
      }
      Path gone = tryEvict(e.id());
      if (gone != null) {
        total -= e.size();
        evictions.incrementAndGet();
        sizes.remove(e.id());
        deleteTree(gone);
        LOG.fine(() -> "blob cache: evicted " + e.id() + " (" + e.size() + " bytes)");
      }
    }
    if (total > maxBytes) {
      long left = total;
      LOG.warning(() -> "blob cache " + dir + " holds " + left + " bytes, above its bound of " + maxBytes
          + ": the rest is in use");
    }
  }

  /** Moves an unleased entry into trash/ under its exclusive lock; null when in use or gone. */
  private Path tryEvict(String id) {
    Path lockFile = locks.resolve(id + ".lock");
    synchronized (PINS) {
      if (PINS.containsKey(lockFile)) {
        return null;
      }
      try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.READ,
          StandardOpenOption.WRITE)) {
        FileLock lock;
        try {
          lock = ch.tryLock();
        } catch (OverlappingFileLockException e) {
          return null;
        }
        if (lock == null) {
          return null; // leased by another process
        }
        try {
          Path target = trash.resolve(id + "." + UUID.randomUUID());
          Files.move(entries.resolve(id), target, StandardCopyOption.ATOMIC_MOVE);
          return target;
        } catch (NoSuchFileException e) {
          return null;
        } finally {
          lock.release();
        }
      } catch (IOException e) {
        throw BlobErrors.io("cannot evict " + id + " from the blob cache " + dir, e);
      }
    }
  }

  // ---- helpers -------------------------------------------------------------------------------

  private void sweepLeftovers() {
    Instant staleBefore = Instant.now().minus(STALE_STAGING);
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(trash)) {
      for (Path p : ds) {
        deleteTree(p);
      }
    } catch (IOException e) {
      throw BlobErrors.io("cannot list " + trash, e);
    }
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(staging)) {
      for (Path p : ds) {
        try {
          if (Files.getLastModifiedTime(p).toInstant().isBefore(staleBefore)) {
            deleteTree(p);
          }
        } catch (NoSuchFileException gone) {
          // another process finished it
        }
      }
    } catch (IOException e) {
      throw BlobErrors.io("cannot list " + staging, e);
    }
  }

  private static void touch(Path entry) {
    try {
      Files.setLastModifiedTime(entry, FileTime.from(Instant.now()));
    } catch (IOException e) {
      throw BlobErrors.io("cannot update " + entry, e);
    }
  }

  private static long treeSize(Path root) throws IOException {
    return FileTrees.size(root);
  }

  /** Deletes a tree, tolerating files that disappear meanwhile; failures are logged, not thrown. */
  static void deleteTree(Path root) {
    try {
      FileTrees.deleteRecursively(root);
    } catch (IOException e) {
      LOG.warning("cannot delete " + root + ": " + e);
    }
  }

  private static void closeQuietly(FileChannel ch) {
    if (ch != null) {
      try {
        ch.close();
      } catch (IOException ignored) {
        // nothing to do
      }
    }
  }
}
