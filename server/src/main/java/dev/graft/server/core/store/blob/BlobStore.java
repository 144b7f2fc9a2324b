package dev.graft.server.core.store.blob;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Objects under string keys in a flat namespace (S3 or any S3-compatible store): the artifact half
 * of the shared store. Keys are relative to the store's own prefix, use {@code /} as separator and
 * never start with one. Content-addressed keys ({@link ContentAddress#key}) are the norm: their
 * content never changes, so a put of an existing one is skipped.
 *
 * <p>Implementations are thread-safe, stream every transfer (a file is never held in memory) and
 * fail with {@link dev.graft.spi.GraftException}: UNAVAILABLE {@code BLOB_STORE_UNAVAILABLE} when the
 * store cannot be reached (after a short, bounded retry), NOT_FOUND {@code BLOB_NOT_FOUND},
 * FAILED_PRECONDITION {@code BUCKET_NOT_FOUND}, PERMISSION_DENIED {@code BLOB_STORE_ACCESS_DENIED},
 * INTERNAL {@code BLOB_IO} for the local disk and {@code BLOB_STORE_ERROR} for anything else.
 */
public interface BlobStore extends AutoCloseable {
  /**
   * How old an existing object may be before {@link #putIfAbsent} rewrites its last-modified time.
   * A publisher that finds a blob already stored relies on it surviving until its metadata commits;
   * refreshing old ones means the {@link BlobGarbageCollector}'s minimum age (which must exceed this
   * plus the longest publish) protects them like fresh uploads.
   */
  Duration REFRESH_AGE = Duration.ofHours(1);

  /** Uploads {@code file} under {@code key}, replacing any object there. Streamed. */
  void put(String key, Path file);

  /**
   * Uploads {@code file} under {@code key} unless an object is there already: the idempotent put
   * for content-addressed keys, a cheap metadata request when the blob exists. An existing object
   * older than {@link #REFRESH_AGE} has its last-modified time renewed (a server-side copy, no
   * upload) so the garbage collector spares it while the caller publishes.
   *
   * @return true when the file was uploaded, false when the object existed
   */
  boolean putIfAbsent(String key, Path file);

  /**
   * Downloads {@code key} into {@code target}, replacing it; streamed. NOT_FOUND {@code
   * BLOB_NOT_FOUND} when absent. {@code target} may hold partial content if the transfer fails:
   * download into a temporary file and rename (as {@link BlobCache} does).
   */
  void get(String key, Path target);

  /** The object under {@code key}, or empty. */
  Optional<BlobInfo> stat(String key);

  /** Whether an object is stored under {@code key}. */
  default boolean exists(String key) {
    return stat(key).isPresent();
  }

  /** Deletes {@code key}; deleting an absent key is not an error. */
  void delete(String key);

  /**
   * Calls {@code each} for every object whose key starts with {@code prefix} ("" for all), page by
   * page (a listing of millions of blobs is never held in memory), in key order.
   */
  void list(String prefix, Consumer<BlobInfo> each);

  /** {@link #list(String, Consumer)} collected: for small prefixes and tests. */
  default List<BlobInfo> list(String prefix) {
    List<BlobInfo> out = new ArrayList<>();
    list(prefix, out::add);
    return out;
  }

  /**
   * Checks the store is reachable, the bucket exists and the credentials are accepted: for health
   * checks, {@code graft store verify} and start-up. Throws the failure, as above.
   */
  void check();

  /** Where the store is, for logs and error messages: e.g. {@code s3://bucket/prefix at http://host:9000}. */
  String describe();

  /** Releases the client's connections. */
  @Override
  void close();
}
