package dev.graft.server.core.store;

import dev.graft.spi.GraftException;

/**
 * One dataset upload in progress: bytes are streamed to staged files while hashed; {@link #commit}
 * parses and publishes them. Obtained from {@link DatasetStore#begin}.
 *
 * <p>Thread-safe, though meant for one stream. Ownership: the caller closes it; closing without
 * a commit discards everything written.
 */
public interface DatasetUpload extends AutoCloseable {

  /**
   * Appends bytes to a part ("" = the main file; others such as "images", "labels").
   *
   * @throws GraftException INVALID_ARGUMENT (field "chunk.part") for a bad part name;
   *     FAILED_PRECONDITION once committed or closed
   */
  void write(String part, byte[] data, int offset, int length);

  /** Bytes written so far, over all parts. */
  long bytesWritten();

  /**
   * Parses the parts and publishes the dataset.
   *
   * @throws GraftException INVALID_ARGUMENT for bad records (the upload is discarded), reason
   *     EMPTY_DATASET when there is no example
   */
  DatasetRecord commit();

  /** Discards the upload unless committed. Idempotent. */
  @Override
  void close();
}
