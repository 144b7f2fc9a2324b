package dev.graft.server.core.store;

import dev.graft.spi.GraftException;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.RuntimeMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The folders of a store under one root: {@code models/}, {@code datasets/}, {@code jobs/},
 * {@code cache/}, {@code checkpoints/} and {@code staging/}. Creating a layout creates the folders.
 *
 * <p>Several processes may share a root. Each layout is one <em>instance</em> with a random id; it
 * holds an OS file lock on {@code staging/<id>.lock} while it lives, and {@link #staging()} is its
 * own folder {@code staging/<id>/}. At start, the staging folders of instances that are no longer
 * alive (lock file gone or not locked) are wiped, so leftovers of a crash never accumulate and a
 * live neighbour's work is never touched. {@link #isAlive(String)} lets other stores tell whether
 * the instance that wrote a record still runs.
 *
 * <p>Thread-safe. Ownership: whoever creates the layout closes it at shutdown; {@link #close()}
 * deletes this instance's staging folder and releases its lock.
 */
public final class StoreLayout implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(StoreLayout.class);
  private static final String LOCK_SUFFIX = ".lock";
  private static final Pattern INSTANCE_ID = Pattern.compile("[a-z0-9]{1,64}");
  /**
   * The lock files the layouts of this JVM hold. Their liveness is answered from here: opening
   * such a file at all (even to read it) and closing it would drop this process's OS lock on it
   * (POSIX record locks belong to the process and go with any of its descriptors' close), and other
   * processes would then take a live instance for dead.
   */
  private static final Set<Path> HELD = ConcurrentHashMap.newKeySet();

  private final Path root;
  private final Path stagingRoot;
  private final Instant started = Instant.now();
  private final String instanceId;
  private final FileChannel lockChannel;
  private final FileLock lock;

  /**
   * Opens (and creates) the store at {@code root}.
   *
   * @throws GraftException INTERNAL reason STORE_IO when the folders cannot be created
   */
  public StoreLayout(Path root) {
    this.root = root.toAbsolutePath().normalize();
    this.stagingRoot = this.root.resolve("staging");
    try {
      for (Path p : new Path[] {models(), aliases(), datasets(), jobs(), cache(), checkpoints(), stagingRoot}) {
        Files.createDirectories(p);
      }
      wipeLeftovers();
      Claim claim = claimInstance();
      this.instanceId = claim.id;
      this.lockChannel = claim.channel;
      this.lock = claim.lock;
      Files.createDirectories(staging());
    } catch (IOException e) {
      throw StoreErrors.io("cannot open the store at " + this.root, e);
    }
  }

  public Path root() {
    return root;
  }

  public Path models() {
    return root.resolve("models");
  }

  /** {@code aliases/<model name>/<alias>}, each holding a version number ({@link ModelAliases}). */
  public Path aliases() {
    return root.resolve("aliases");
  }

  public Path datasets() {
    return root.resolve("datasets");
  }

  public Path jobs() {
    return root.resolve("jobs");
  }

  public Path cache() {
    return root.resolve("cache");
  }

  public Path checkpoints() {
    return root.resolve("checkpoints");
  }

  /** This instance's folder for temporary work; on the store's file system, so renames are atomic. */
  public Path staging() {
    return stagingRoot.resolve(instanceId);
  }

  /** The random id of this instance, recorded by stores that need to know who wrote what. */
  public String instanceId() {
    return instanceId;
  }

  /** When this instance opened the store: whatever is older was written before it. */
  public Instant started() {
    return started;
  }

  /**
   * Whether the instance {@code id} (of this or another process sharing the root) still holds its
   * lock. An unknown or malformed id is not alive.
   */
  public boolean isAlive(String id) {
    if (id != null && id.equals(instanceId)) {
      return lock.isValid();
    }
    return isAlive(stagingRoot, id);
  }

  /** Whether an instance other than this one holds its lock on the store now. */
  public boolean othersAlive() {
    return liveInstances(root).stream().anyMatch(id -> !id.equals(instanceId));
  }

  /**
   * The instances holding their lock on the store at {@code root} now, read without opening the
   * store (nothing is created or removed): for tools that inspect a store.
   */
  public static Set<String> liveInstances(Path root) {
    Path staging = root.resolve("staging");
    Set<String> alive = new LinkedHashSet<>();
    try {
      for (Path entry : FileTrees.children(staging)) {
        String name = entry.getFileName().toString();
        if (name.endsWith(LOCK_SUFFIX)) {
          String id = name.substring(0, name.length() - LOCK_SUFFIX.length());
          if (isAlive(staging, id)) {
            alive.add(id);
          }
        }
      }
    } catch (IOException e) {
      throw StoreErrors.io("cannot list " + staging, e);
    }
    return alive;
  }

  /** The instance id a staging entry ({@code <id>} or {@code <id>.lock}) belongs to; any other name as is. */
  public static String stagingOwner(String entryName) {
    return entryName.endsWith(LOCK_SUFFIX)
        ? entryName.substring(0, entryName.length() - LOCK_SUFFIX.length())
        : entryName;
  }

  /**
   * Whether instance {@code id} holds its lock in the staging folder {@code stagingRoot}. Never
   * opens a lock file this JVM holds (see {@link #HELD}); a lock file naming this JVM is alive.
   */
  static boolean isAlive(Path stagingRoot, String id) {
    if (id == null || !INSTANCE_ID.matcher(id).matches()) {
      return false;
    }
    Path lockFile = stagingRoot.toAbsolutePath().normalize().resolve(id + LOCK_SUFFIX);
    if (HELD.contains(lockFile)) {
      return true;
    }
    String owner;
    try {
      owner = Files.readString(lockFile, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return false; // no lock file: closed or swept
    }
    if (owner.equals(jvmIdentity())) {
      // Another layout of this JVM: its file exists, so it is open. Never probe it with a lock:
      // closing a probing channel would drop this process's lock on that file.
      return true;
    }
    try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.WRITE)) {
      FileLock probe = ch.tryLock();
      if (probe == null) {
        return true; // held by another process
      }
      probe.release();
      return false;
    } catch (OverlappingFileLockException e) {
      return true;
    } catch (IOException e) {
      return false; // the lock file vanished meanwhile
    }
  }

  /** Deletes this instance's staging folder and releases its lock. Idempotent. */
  @Override
  public synchronized void close() {
    if (!lockChannel.isOpen()) {
      return;
    }
    try {
      FileTrees.deleteRecursively(staging());
      Files.deleteIfExists(lockFile());
    } catch (IOException e) {
      LOG.warn("cannot clean staging folder {}: {}", staging(), e.toString());
    }
    try {
      lock.release();
      lockChannel.close();
    } catch (IOException e) {
      LOG.warn("cannot release the store lock: {}", e.toString());
    } finally {
      HELD.remove(lockFile());
    }
  }

  private Path lockFile() {
    return stagingRoot.resolve(instanceId + LOCK_SUFFIX);
  }

  @Override
  public String toString() {
    return "StoreLayout[" + root + ", instance " + instanceId + "]";
  }

  /** Removes staging folders and lock files of instances that are not alive. */
  private void wipeLeftovers() throws IOException {
    for (Path entry : FileTrees.children(stagingRoot)) {
      String id = stagingOwner(entry.getFileName().toString());
      if (INSTANCE_ID.matcher(id).matches() && isAlive(id)) {
        continue;
      }
      if (Files.exists(entry)) {
        LOG.info("removing leftover staging entry {}", entry);
        FileTrees.deleteRecursively(entry);
      }
    }
  }

  private Claim claimInstance() throws IOException {
    while (true) {
      String id = UUID.randomUUID().toString().replace("-", "").substring(0, 16);
      Path lockFile = stagingRoot.resolve(id + LOCK_SUFFIX);
      if (Files.exists(lockFile)) {
        continue;
      }
      // The file appears whole (with the owner's identity) before anyone can see it.
      try {
        AtomicFiles.write(lockFile, jvmIdentity().getBytes(StandardCharsets.UTF_8));
      } catch (NoSuchFileException e) {
        continue; // a neighbour starting at the same moment swept our temporary file
      }
      FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.WRITE);
      FileLock l;
      try {
        l = ch.tryLock();
      } catch (IOException | RuntimeException e) {
        ch.close();
        throw e;
      }
      // A neighbour sweeping leftovers may have locked and deleted the file before we locked it.
      if (l != null && Files.exists(lockFile)) {
        HELD.add(lockFile);
        return new Claim(id, ch, l);
      }
      ch.close();
    }
  }

  /** Identifies this JVM among all processes sharing the store: pid, host and start time. */
  private static String jvmIdentity() {
    RuntimeMXBean runtime = ManagementFactory.getRuntimeMXBean();
    return "jvm " + runtime.getName() + " " + runtime.getStartTime();
  }

  private record Claim(String id, FileChannel channel, FileLock lock) {}
}
