package dev.graft.plugins.vision.keras;

/**
 * A saved network the converter cannot turn into a DJL block: an unsupported layer type or
 * setting, or files that do not fit their manifest. The message says which layer and why.
 */
public final class UnsupportedModelException extends RuntimeException {
  public UnsupportedModelException(String message) {
    super(message);
  }
}
