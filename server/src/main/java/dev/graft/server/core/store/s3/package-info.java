/**
 * The {@link dev.graft.server.core.store.blob.BlobStore} over S3 and S3-compatible servers (MinIO,
 * Ceph RGW, ...), with the AWS SDK for Java v2 over the JDK's URL connection client. The only
 * package that sees AWS types.
 */
package dev.graft.server.core.store.s3;
