package dev.graft.server.scheduler;

/**
 * One inference slot on a device, held until {@link #close()}. The holder owns the lease and
 * must close it exactly once it has finished its engine call (closing again does nothing).
 * Thread-safe.
 */
public interface InferenceLease extends AutoCloseable {
  /** The device the slot belongs to. */
  DeviceSpec device();

  /** Gives the slot back; idempotent. */
  @Override
  void close();
}
