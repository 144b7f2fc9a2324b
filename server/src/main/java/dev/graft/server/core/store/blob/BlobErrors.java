package dev.graft.server.core.store.blob;

import dev.graft.spi.GraftException;
import java.io.IOException;

/** The reasons of the blob layer, and its local I/O failure. Stateless. */
public final class BlobErrors {
  /** UNAVAILABLE: the object store cannot be reached (connection refused, timeout, 5xx). */
  public static final String BLOB_STORE_UNAVAILABLE = "BLOB_STORE_UNAVAILABLE";
  /** NOT_FOUND: no object under the key. */
  public static final String BLOB_NOT_FOUND = "BLOB_NOT_FOUND";
  /** FAILED_PRECONDITION: the configured bucket does not exist. */
  public static final String BUCKET_NOT_FOUND = "BUCKET_NOT_FOUND";
  /** PERMISSION_DENIED: the credentials are refused or lack a permission. */
  public static final String BLOB_STORE_ACCESS_DENIED = "BLOB_STORE_ACCESS_DENIED";
  /** INTERNAL: any other failure answered by the object store. */
  public static final String BLOB_STORE_ERROR = "BLOB_STORE_ERROR";
  /** DATA_LOSS: a downloaded blob's SHA-256 or size is not the one referenced. */
  public static final String BLOB_CHECKSUM_MISMATCH = "BLOB_CHECKSUM_MISMATCH";
  /** INTERNAL: the local disk failed (reading an upload, writing a download, the cache folder). */
  public static final String BLOB_IO = "BLOB_IO";
  /** INVALID_ARGUMENT: a blob store location that is not {@code s3://bucket[/prefix]}. */
  public static final String INVALID_BLOB_STORE = "INVALID_BLOB_STORE";
  /** INVALID_ARGUMENT: a relative path of a blob set that is absolute, empty or leaves its folder. */
  public static final String INVALID_BLOB_PATH = "INVALID_BLOB_PATH";

  private BlobErrors() {}

  /** A local I/O failure: INTERNAL, reason {@code BLOB_IO}, with the cause. */
  public static GraftException io(String what, IOException cause) {
    return GraftException.internal(BLOB_IO, what + ": " + cause, cause);
  }
}
