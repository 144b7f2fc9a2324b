package dev.graft.server.core.store.blob;

/**
 * A reference to one content-addressed blob: what metadata stores for each file of a model version
 * or a dataset, and all a {@link BlobCache} needs to fetch and verify it.
 *
 * @param sha256 the SHA-256 of the content, 64 lowercase hex digits
 * @param size the content's length in bytes
 */
public record BlobRef(String sha256, long size) {
  public BlobRef {
    if (!ContentAddress.isSha256(sha256)) {
      throw new IllegalArgumentException("not a SHA-256 (64 lowercase hex digits): " + sha256);
    }
    if (size < 0) {
      throw new IllegalArgumentException("negative size: " + size);
    }
  }

  /** The key the blob is stored under: {@code blobs/sha256/<2 hex>/<64 hex>}. */
  public String key() {
    return ContentAddress.key(sha256);
  }
}
