package dev.graft.server.core.store;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Removes what dead processes left in the store ({@link Leftovers}): staging of dead instances,
 * their temporary files, cancel markers of ended jobs, unfinished dataset folders; a model version
 * folder without a manifest is finished as a deleted version (its {@code .deleted} marker keeps the
 * number taken, its files go). Run at start, after {@link JobStore#recoverAfterRestart} (so that
 * cancel markers of the jobs it ended go too), and periodically, for replicas that die while
 * others run. A live
 * instance's work is never touched: see {@link Leftovers} for how it is told apart.
 *
 * <p>Thread-safe (stateless beyond its store); failures are logged and the sweep goes on.
 */
public final class StoreSweeper {
  private static final Logger LOG = LoggerFactory.getLogger(StoreSweeper.class);

  private final StoreLayout layout;

  public StoreSweeper(StoreLayout layout) {
    this.layout = Objects.requireNonNull(layout, "layout");
  }

  /**
   * Removes every leftover found now.
   *
   * @return what was removed
   */
  public synchronized List<StoreLeftover> sweep() {
    List<StoreLeftover> found;
    try {
      found = new Leftovers(layout.root(), Leftovers.of(layout)).find();
    } catch (IOException e) {
      LOG.warn("cannot look for leftovers in {}: {}", layout.root(), e.toString());
      return List.of();
    }
    return found.stream().filter(this::remove).toList();
  }

  private boolean remove(StoreLeftover leftover) {
    Path path = leftover.path();
    try {
      switch (leftover.kind()) {
        case DEAD_STAGING -> FileTrees.deleteRecursively(path);
        case TEMP_FILE, STALE_CANCEL_MARKER -> Files.deleteIfExists(path);
        case UNFINISHED_DATASET -> discard(path);
        case UNFINISHED_MODEL_VERSION -> finishDelete(path);
      }
      LOG.info("removed {} {}: {}", leftover.kind(), layout.root().relativize(path), leftover.why());
      return true;
    } catch (IOException | RuntimeException e) {
      LOG.warn("cannot remove {} {}: {}", leftover.kind(), path, e.toString());
      return false;
    }
  }

  /** Marks a version folder deleted and moves the rest of its content out, as a delete does. */
  private void finishDelete(Path dir) throws IOException {
    if (Files.exists(dir.resolve(ModelStore.MANIFEST))) {
      return; // published meanwhile: not a leftover
    }
    Path tombstone = dir.resolve(LocalModelStore.TOMBSTONE);
    if (!Files.exists(tombstone)) {
      String ref = dir.getParent().getFileName() + "@" + dir.getFileName();
      AtomicFiles.write(tombstone, ref.getBytes(StandardCharsets.UTF_8), layout.instanceId());
    }
    Path trash = trash();
    Files.createDirectories(trash);
    for (Path child : FileTrees.children(dir)) {
      if (!child.getFileName().toString().equals(LocalModelStore.TOMBSTONE)) {
        try {
          Files.move(child, trash.resolve(child.getFileName()), StandardCopyOption.ATOMIC_MOVE);
        } catch (NoSuchFileException gone) {
          // removed meanwhile
        }
      }
    }
    FileTrees.deleteRecursively(trash);
  }

  /** Moves a folder out of the store's namespace in one step, then deletes it. */
  private void discard(Path dir) throws IOException {
    Path trash = trash();
    try {
      Files.move(dir, trash, StandardCopyOption.ATOMIC_MOVE);
    } catch (NoSuchFileException gone) {
      return;
    }
    FileTrees.deleteRecursively(trash);
  }

  private Path trash() {
    return layout.staging().resolve("swept-" + UUID.randomUUID());
  }
}
