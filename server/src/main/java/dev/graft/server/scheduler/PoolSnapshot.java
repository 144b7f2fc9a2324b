package dev.graft.server.scheduler;

import java.util.List;

/**
 * A pool at one moment: how many work items wait in its queue, the queue's capacity and its
 * devices. Immutable.
 */
public record PoolSnapshot(String name, int queued, int queueCapacity, List<DeviceSnapshot> devices) {
  public PoolSnapshot {
    devices = List.copyOf(devices);
  }
}
