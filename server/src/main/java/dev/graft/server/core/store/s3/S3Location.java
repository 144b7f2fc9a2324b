package dev.graft.server.core.store.s3;

import dev.graft.server.core.store.blob.BlobErrors;
import dev.graft.spi.GraftException;
import java.util.regex.Pattern;

/**
 * Where blobs live: {@code s3://bucket} or {@code s3://bucket/prefix} ({@code blob-store=}). The
 * prefix, without leading or trailing slash, is put before every key ({@code prefix/blobs/...}), so
 * several deployments can share one bucket.
 *
 * @param bucket an S3 bucket name (3–63 lowercase letters, digits, dots, hyphens)
 * @param prefix "" or a path without leading, trailing or doubled slashes
 */
public record S3Location(String bucket, String prefix) {
  private static final Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");
  private static final String FIELD = "blob-store";

  public S3Location {
    if (bucket == null || !BUCKET.matcher(bucket).matches()) {
      throw GraftException.invalidArgument(FIELD, BlobErrors.INVALID_BLOB_STORE,
          "not an S3 bucket name (3-63 lowercase letters, digits, '.', '-'): '" + bucket + "'");
    }
    if (prefix == null) {
      prefix = "";
    }
    if (prefix.startsWith("/") || prefix.endsWith("/") || prefix.contains("//")) {
      throw GraftException.invalidArgument(FIELD, BlobErrors.INVALID_BLOB_STORE,
          "the prefix must not start or end with '/' or contain '//': '" + prefix + "'");
    }
  }

  /** Parses {@code s3://bucket[/prefix]}; a trailing slash is allowed. INVALID_ARGUMENT {@code INVALID_BLOB_STORE} otherwise. */
  public static S3Location parse(String text) {
    if (text == null || !text.startsWith("s3://")) {
      throw GraftException.invalidArgument(FIELD, BlobErrors.INVALID_BLOB_STORE,
          "blob-store must be s3://bucket or s3://bucket/prefix, got '" + text + "'");
    }
    String rest = text.substring("s3://".length());
    while (rest.endsWith("/")) {
      rest = rest.substring(0, rest.length() - 1);
    }
    int slash = rest.indexOf('/');
    return slash < 0 ? new S3Location(rest, "") : new S3Location(rest.substring(0, slash), rest.substring(slash + 1));
  }

  /** The object key of a store key: {@code prefix/key}, or {@code key} without a prefix. */
  public String objectKey(String key) {
    return prefix.isEmpty() ? key : prefix + "/" + key;
  }

  /** The store key of an object key under this prefix. */
  String storeKey(String objectKey) {
    return prefix.isEmpty() ? objectKey : objectKey.substring(prefix.length() + 1);
  }

  @Override
  public String toString() {
    return prefix.isEmpty() ? "s3://" + bucket : "s3://" + bucket + "/" + prefix;
  }
}
