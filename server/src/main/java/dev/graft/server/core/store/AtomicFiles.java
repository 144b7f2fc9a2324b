package dev.graft.server.core.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Crash-safe file and folder publication. Pure static helpers without state; thread-safe.
 *
 * <p>Both operations rely on POSIX {@code rename(2)}: replacing a file is atomic, and renaming a
 * folder onto an empty folder replaces it atomically. Source and target must be on one file
 * system (the store's staging folder is, by construction).
 */
public final class AtomicFiles {
  /** Suffix of the temporary files {@link #write} leaves behind only when the process dies. */
  public static final String TEMP_SUFFIX = ".tmp";

  /**
   * A temporary file's name: {@code .<target>.<uuid>.tmp}, or {@code .<target>.<uuid>.<owner>.tmp}
   * when the writer named its store instance (group 1: the owner, absent for the first form).
   */
  private static final Pattern TEMP_NAME = Pattern.compile(
      "\\..+\\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?:\\.([a-z0-9]{1,64}))?\\.tmp");

  private AtomicFiles() {}

  /**
   * Replaces {@code target} with {@code bytes} atomically: readers see the old content or the new
   * one, never a part. Writes a temporary file in the same folder, fsyncs it, renames it over the
   * target and fsyncs the folder. The temporary file is removed on failure. Its name names no
   * owner: prefer {@link #write(Path, byte[], String)} wherever a store instance writes.
   */
  public static void write(Path target, byte[] bytes) throws IOException {
    write(target, bytes, "");
  }

  /**
   * Like {@link #write(Path, byte[])}, with the writer's store instance id ({@link
   * StoreLayout#instanceId()}) in the temporary file's name, so that a temporary file left by a
   * dead process can be told from one being written: see {@link #tempOwner}.
   */
  public static void write(Path target, byte[] bytes, String owner) throws IOException {
    Path dir = target.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    String tag = owner.isEmpty() ? "" : "." + owner;
    Path tmp = dir.resolve("." + target.getFileName() + "." + UUID.randomUUID() + tag + TEMP_SUFFIX);
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
        ch.force(true);
      }
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException | RuntimeException e) {
      deleteQuietly(tmp, e);
      throw e;
    }
    fsyncDirectory(dir);
  }

  /**
   * Publishes the folder {@code staged} as {@code target} in one rename, after fsyncing every file
   * and folder under it. The target is claimed exclusively first (by creating it, which fails if
   * it exists), so two writers, in one process or several, can never publish the same target.
   *
   * @throws FileAlreadyExistsException if {@code target} exists; {@code staged} is left as it was
   */
  public static void publishDirectory(Path staged, Path target) throws IOException {
    if (!Files.isDirectory(staged, LinkOption.NOFOLLOW_LINKS)) {
      throw new NotDirectoryException(staged.toString());
    }
    fsyncTree(staged);
    Path parent = target.toAbsolutePath().getParent();
    Files.createDirectories(parent);
    Files.createDirectory(target); // the exclusive claim: throws FileAlreadyExistsException
    try {
      Files.move(staged, target, StandardCopyOption.ATOMIC_MOVE); // replaces the empty claim
    } catch (IOException | RuntimeException e) {
      deleteQuietly(target, e);
      throw e;
    }
    fsyncDirectory(parent);
    fsyncDirectory(staged.toAbsolutePath().getParent());
  }

  /** Whether {@code fileName} is the name of a temporary file of {@link #write}. */
  public static boolean isTemp(String fileName) {
    return TEMP_NAME.matcher(fileName).matches();
  }

  /**
   * The store instance that wrote the temporary file {@code fileName}: empty for a name that is
   * not a temporary file's or names no owner.
   */
  public static Optional<String> tempOwner(String fileName) {
    Matcher m = TEMP_NAME.matcher(fileName);
    return m.matches() && m.group(1) != null ? Optional.of(m.group(1)) : Optional.empty();
  }

  /** Flushes a folder's entries to disk; a no-op where the platform cannot open folders. */
  static void fsyncDirectory(Path dir) throws IOException {
    FileChannel ch;
    try {
      ch = FileChannel.open(dir, StandardOpenOption.READ);
    } catch (IOException e) {
      return; // e.g. Windows, where folders cannot be opened; nothing to flush there
    }
    try (ch) {
      ch.force(true);
    }
  }

  /** Fsyncs every regular file under {@code root}, then every folder (children first). */
  static void fsyncTree(Path root) throws IOException {
    Files.walkFileTree(
        root,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
            if (attrs.isRegularFile()) {
              try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                ch.force(true);
              }
            }
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
            if (e != null) {
              throw e;
            }
            fsyncDirectory(dir);
            return FileVisitResult.CONTINUE;
          }
        });
  }

  private static void deleteQuietly(Path path, Exception primary) {
    try {
      Files.deleteIfExists(path);
    } catch (IOException | RuntimeException e) {
      primary.addSuppressed(e);
    }
  }
}
