package dev.graft.spi;

import java.util.Objects;

/**
 * A failure with a kind, a machine-readable reason and, for bad input, the field at fault.
 *
 * <p>{@code reason} is UPPER_SNAKE_CASE and stable ("UNKNOWN_LAYER", "CORRUPT_IMAGE"); the
 * message is for people. {@code field} names the offending request field in the API's terms
 * ("inputs[3]", "hyperparameters.extra[unfreeze]"), or is empty.
 */
public class GraftException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final ErrorKind kind;
  private final String reason;
  private final String field;

  public GraftException(ErrorKind kind, String reason, String field, String message, Throwable cause) {
    super(message, cause);
    this.kind = Objects.requireNonNull(kind, "kind");
    this.reason = Objects.requireNonNull(reason, "reason");
    this.field = field == null ? "" : field;
  }

  public GraftException(ErrorKind kind, String reason, String message) {
    this(kind, reason, "", message, null);
  }

  public ErrorKind kind() {
    return kind;
  }

  public String reason() {
    return reason;
  }

  public String field() {
    return field;
  }

  /** Bad input in {@code field}. */
  public static GraftException invalidArgument(String field, String reason, String message) {
    return new GraftException(ErrorKind.INVALID_ARGUMENT, reason, field, message, null);
  }

  public static GraftException notFound(String reason, String message) {
    return new GraftException(ErrorKind.NOT_FOUND, reason, message);
  }

  public static GraftException permissionDenied(String reason, String message) {
    return new GraftException(ErrorKind.PERMISSION_DENIED, reason, message);
  }

  public static GraftException failedPrecondition(String reason, String message) {
    return new GraftException(ErrorKind.FAILED_PRECONDITION, reason, message);
  }

  public static GraftException unimplemented(String reason, String message) {
    return new GraftException(ErrorKind.UNIMPLEMENTED, reason, message);
  }

  public static GraftException resourceExhausted(String reason, String message) {
    return new GraftException(ErrorKind.RESOURCE_EXHAUSTED, reason, message);
  }

  public static GraftException cancelled(String reason, String message) {
    return new GraftException(ErrorKind.CANCELLED, reason, message);
  }

  public static GraftException internal(String reason, String message, Throwable cause) {
    return new GraftException(ErrorKind.INTERNAL, reason, "", message, cause);
  }
}
