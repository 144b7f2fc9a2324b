package dev.graft.plugins.vision.torch;

import java.io.IOException;

/** A torch.save file that is malformed, or uses something the reader does not support. */
public final class TorchFormatException extends IOException {
  private static final long serialVersionUID = 1L;

  public TorchFormatException(String message) {
    super(message);
  }
}
