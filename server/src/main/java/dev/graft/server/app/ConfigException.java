package dev.graft.server.app;

/** A configuration value is missing or wrong; the message says which value, where from, and why. */
public final class ConfigException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ConfigException(String message) {
    super(message);
  }
}
