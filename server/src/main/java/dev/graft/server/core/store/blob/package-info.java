/**
 * Artifacts in object storage, free of any AWS or transport type: the {@link
 * dev.graft.server.core.store.blob.BlobStore} interface (implemented over S3 by {@code
 * dev.graft.server.core.store.s3.S3BlobStore}), content-addressed keys ({@link
 * dev.graft.server.core.store.blob.ContentAddress}: {@code blobs/sha256/<2 hex>/<64 hex>}), the
 * upload of a folder before its metadata is committed ({@link
 * dev.graft.server.core.store.blob.BlobFolders}), the local download cache with an LRU bound and
 * checksum verification ({@link dev.graft.server.core.store.blob.BlobCache}) and the garbage
 * collector of blobs no metadata references ({@link
 * dev.graft.server.core.store.blob.BlobGarbageCollector}).
 *
 * <p>Publication protocol (the metadata store's side, issue 20): upload every file with {@link
 * dev.graft.server.core.store.blob.BlobFolders#upload}, then commit the returned {@code
 * Map<relativePath, BlobRef>} in one database transaction. A crash between the two leaves only
 * unreferenced blobs, which the collector removes once they are older than its minimum age.
 *
 * <p>Everything here is thread-safe. Failures are {@link dev.graft.spi.GraftException}s with a
 * reason: UNAVAILABLE {@code BLOB_STORE_UNAVAILABLE}, NOT_FOUND {@code BLOB_NOT_FOUND},
 * FAILED_PRECONDITION {@code BUCKET_NOT_FOUND}, PERMISSION_DENIED {@code
 * BLOB_STORE_ACCESS_DENIED}, DATA_LOSS {@code BLOB_CHECKSUM_MISMATCH}, INTERNAL {@code BLOB_IO}
 * (local disk) or {@code BLOB_STORE_ERROR} (any other answer of the store).
 */
package dev.graft.server.core.store.blob;
