package dev.graft.plugins.vision.torch;

import java.io.IOException;

/**
 * A torch.save file that is malformed, or uses something the reader does not support; with a
 * {@link #reason()} when it breaks one of the reader's bounds ({@value PickleBudget#REASON}).
 */
public final class TorchFormatException extends IOException {
  private static final long serialVersionUID = 1L;

  private final String reason;

  /** A file the reader cannot read (no particular reason). */
  public TorchFormatException(String message) {
    this(null, message);
  }

  /** A file refused for {@code reason} (UPPER_SNAKE_CASE, stable), or null for none. */
  public TorchFormatException(String reason, String message) {
    super(message);
    this.reason = reason;
  }

  /** The stable reason of the refusal, or null when the file is simply not readable. */
  public String reason() {
    return reason;
  }
}
