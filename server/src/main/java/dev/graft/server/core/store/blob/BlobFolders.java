package dev.graft.server.core.store.blob;

import dev.graft.spi.GraftException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * A folder of files as a set of blobs: what a publisher uploads before it commits a model
 * version's or a dataset's metadata. Stateless and thread-safe.
 *
 * <p>Relative paths use {@code /} whatever the platform. Only regular files are kept: empty folders
 * do not survive the round trip, and a symbolic link or other special file is refused (INTERNAL
 * {@code BLOB_IO}) rather than silently dropped or followed out of the folder.
 */
public final class BlobFolders {
  private BlobFolders() {}

  /**
   * Uploads every file of {@code folder} under its content-addressed key ({@link
   * BlobStore#putIfAbsent}: a blob stored already is not sent again) and returns each file's
   * relative path with its reference, sorted by path. Commit the map only after this returns: every
   * blob it names is then stored.
   */
  public static Map<String, BlobRef> upload(BlobStore store, Path folder) {
    Map<String, BlobRef> refs = describe(folder);
    for (var e : refs.entrySet()) {
      store.putIfAbsent(e.getValue().key(), folder.resolve(e.getKey()));
    }
    return refs;
  }

  /** Each regular file of {@code folder} (recursively) with its SHA-256 and size, sorted by path. */
  public static Map<String, BlobRef> describe(Path folder) {
    return describe(folder, relative -> true);
  }

  /**
   * As {@link #describe(Path)}, keeping only the files whose relative path {@code keep} accepts
   * (a stored folder's own manifest, say, is not one of its blobs).
   */
  public static Map<String, BlobRef> describe(Path folder, Predicate<String> keep) {
    Map<String, BlobRef> refs = new TreeMap<>();
    try (Stream<Path> walk = Files.walk(folder)) {
      for (Path p : (Iterable<Path>) walk::iterator) {
        var attrs = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (attrs.isDirectory()) {
          continue;
        }
        if (!attrs.isRegularFile()) {
          throw GraftException.internal(BlobErrors.BLOB_IO,
              "not a regular file (a link or a special file cannot be stored as a blob): " + p, null);
        }
        String relative = relative(folder, p);
        if (keep.test(relative)) {
          refs.put(relative, ContentAddress.ref(p));
        }
      }
    } catch (IOException e) {
      throw BlobErrors.io("cannot read " + folder, e);
    }
    return Collections.unmodifiableMap(refs);
  }

  /**
   * Uploads the files {@code refs} names (as {@link #describe} returned them for {@code folder})
   * under their content-addressed keys; a blob stored already is not sent again.
   *
   * @return the blobs that were sent (the others were stored already)
   */
  public static List<BlobRef> upload(BlobStore store, Path folder, Map<String, BlobRef> refs) {
    List<BlobRef> sent = new ArrayList<>();
    for (var e : refs.entrySet()) {
      if (store.putIfAbsent(e.getValue().key(), resolve(folder, e.getKey()))) {
        sent.add(e.getValue());
      }
    }
    return sent;
  }

  /** Total bytes of a set of blobs. */
  public static long totalSize(Map<String, BlobRef> files) {
    return files.values().stream().mapToLong(BlobRef::size).sum();
  }

  /**
   * Checks a relative path of a blob set and returns it resolved under {@code folder}: not empty,
   * not absolute, no {@code .} or {@code ..} segment, no empty segment, no backslash. INVALID_ARGUMENT
   * {@code INVALID_BLOB_PATH} otherwise.
   */
  static Path resolve(Path folder, String relative) {
    boolean bad = relative == null || relative.isEmpty() || relative.startsWith("/")
        || relative.endsWith("/") || relative.contains("\\") || relative.indexOf('\0') >= 0;
    if (!bad) {
      for (String segment : relative.split("/", -1)) {
        if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
          bad = true;
          break;
        }
      }
    }
    if (bad) {
      throw GraftException.invalidArgument("files", BlobErrors.INVALID_BLOB_PATH,
          "a blob's relative path must be a/b/c without empty, '.' or '..' segments: '" + relative + "'");
    }
    Path p = folder.resolve(relative).normalize();
    if (!p.startsWith(folder)) {
      throw GraftException.invalidArgument("files", BlobErrors.INVALID_BLOB_PATH,
          "a blob's relative path leaves its folder: '" + relative + "'");
    }
    return p;
  }

  private static String relative(Path folder, Path file) {
    StringBuilder out = new StringBuilder();
    for (Path part : folder.relativize(file)) {
      if (out.length() > 0) {
        out.append('/');
      }
      out.append(part);
    }
    return out.toString();
  }
}
