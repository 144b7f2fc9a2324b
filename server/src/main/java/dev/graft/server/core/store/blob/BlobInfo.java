package dev.graft.server.core.store.blob;

import java.time.Instant;
import java.util.Objects;

/**
 * One stored object as a listing shows it.
 *
 * @param key the key, relative to the store's prefix
 * @param size its length in bytes
 * @param lastModified when it was last written (the garbage collector's age)
 */
public record BlobInfo(String key, long size, Instant lastModified) {
  public BlobInfo {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(lastModified, "lastModified");
  }
}
