package dev.graft.server.api;

import javax.inject.Inject;
import javax.inject.Singleton;

/**
 * Whether this replica is SERVING (built-in models loaded and warmed, not draining): set by the
 * server as its health changes, read by the readiness answers of the other protocols. Thread-safe.
 */
@Singleton
public final class ServingState {
  private volatile boolean serving;

  @Inject
  public ServingState() {}

  public boolean serving() {
    return serving;
  }

  public void set(boolean serving) {
    this.serving = serving;
  }
}
