package dev.graft.spi;

/** The kind of a failure, independent of any transport. The server maps each to a status code. */
public enum ErrorKind {
  /** The caller sent something malformed; retrying the same request will fail again. */
  INVALID_ARGUMENT,
  /** The caller is known but may not do this (a role it lacks, something it does not own). */
  PERMISSION_DENIED,
  /** A named model, dataset or job does not exist. */
  NOT_FOUND,
  /** The thing being created exists already. */
  ALREADY_EXISTS,
  /** The request is valid but the system is not in a state to serve it (e.g. a model that cannot train). */
  FAILED_PRECONDITION,
  /** The operation is not implemented by this plugin or this model. */
  UNIMPLEMENTED,
  /** A queue, a slot or memory is full; retry later. */
  RESOURCE_EXHAUSTED,
  /** A concurrent change conflicted with this one. */
  ABORTED,
  /** The work was cancelled. */
  CANCELLED,
  /** The server is shutting down or not ready. */
  UNAVAILABLE,
  /** A deadline passed. */
  DEADLINE_EXCEEDED,
  /** A bug or an engine failure. */
  INTERNAL,
  /** Stored data is damaged or lost (e.g. a downloaded artifact whose checksum is not the recorded one). */
  DATA_LOSS
}
