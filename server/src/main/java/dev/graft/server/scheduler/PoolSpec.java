package dev.graft.server.scheduler;

import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A named set of devices sharing one bounded admission queue of {@code queueCapacity} waiting
 * items (work that starts at once on a free device does not take queue room). Immutable and
 * thread-safe; the device list is copied.
 */
public record PoolSpec(String name, List<DeviceSpec> devices, int queueCapacity) {
  public PoolSpec {
    Objects.requireNonNull(name, "name");
    if (name.isBlank()) {
      throw new IllegalArgumentException("pool name is blank");
    }
    devices = List.copyOf(Objects.requireNonNull(devices, "devices"));
    if (devices.isEmpty()) {
      throw new IllegalArgumentException("pool " + name + " has no devices");
    }
    Set<String> ids = new HashSet<>();
    for (DeviceSpec d : devices) {
      if (!ids.add(d.id())) {
        throw new IllegalArgumentException("pool " + name + " lists device " + d.id() + " twice");
      }
    }
    if (queueCapacity < 0) {
      throw new IllegalArgumentException("pool " + name + ": queueCapacity must be >= 0");
    }
  }
}
