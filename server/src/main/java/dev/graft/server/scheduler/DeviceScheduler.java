package dev.graft.server.scheduler;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

/**
 * Runs training work on the devices of named pools and hands out inference slots.
 *
 * <p>Each pool has a bounded priority queue (priority descending, then FIFO). When a device has a
 * free training slot and the head of the queue fits its remaining memory budget, the head runs on
 * the least-loaded such device (running/slots; ties by lowest index), on a scheduler-owned thread
 * named {@code graft-train-<device>-N}. The work's return value or exception completes
 * {@link ScheduledWork#result()}; its slot is freed (and the queue dispatched again) just before.
 *
 * <p>Refusals are {@link dev.graft.spi.GraftException}s: a full queue is RESOURCE_EXHAUSTED
 * {@code QUEUE_FULL}, an unknown pool INVALID_ARGUMENT {@code UNKNOWN_DEVICE_POOL} (field
 * {@code device_pool}), memory larger than every device RESOURCE_EXHAUSTED
 * {@code INSUFFICIENT_DEVICE_MEMORY}, anything after {@link #close()} UNAVAILABLE
 * {@code SHUTTING_DOWN}.
 *
 * <p>Thread-safe. The creator owns the scheduler and closes it; {@link #close()} does not wait
 * for running work (see {@link #awaitIdle(Duration)}). A device may belong to one pool only.
 */
public final class DeviceScheduler implements AutoCloseable {
  private final Map<String, DevicePool> pools;
  private final String defaultPool;
  private final AtomicBoolean closed = new AtomicBoolean();

  /**
   * @param pools the pools, at least one; names unique; no device in two pools
   * @param defaultPool the name of the pool used when a request names none
   * @throws IllegalArgumentException if the pools break these rules
   */
  public DeviceScheduler(List<PoolSpec> pools, String defaultPool) {
    Objects.requireNonNull(pools, "pools");
    Objects.requireNonNull(defaultPool, "defaultPool");
    if (pools.isEmpty()) {
      throw new IllegalArgumentException("no device pools configured");
    }
    PlacementPolicy policy = new PlacementPolicy();
    Map<String, DevicePool> byName = new LinkedHashMap<>();
    Map<String, String> poolOfDevice = new HashMap<>();
    for (PoolSpec spec : pools) {
      if (byName.containsKey(spec.name())) {
        throw new IllegalArgumentException("device pool " + spec.name() + " is configured twice");
      }
      for (DeviceSpec device : spec.devices()) {
        String other = poolOfDevice.putIfAbsent(device.id(), spec.name());
        if (other != null) {
          throw new IllegalArgumentException(
              "device " + device.id() + " is in two pools: " + other + " and " + spec.name());
        }
      }
      byName.put(spec.name(), new DevicePool(spec, policy));
    }
    if (!byName.containsKey(defaultPool)) {
      throw new IllegalArgumentException(
          "default device pool '" + defaultPool + "' is not among the pools: "
              + String.join(", ", byName.keySet()));
    }
    this.pools = byName;
    this.defaultPool = defaultPool;
  }

  /**
   * Queues {@code work} for the request's pool; it runs as soon as a device of the pool is free.
   *
   * @throws dev.graft.spi.GraftException at once if the work is refused (see the class comment)
   */
  public <T> ScheduledWork<T> submit(WorkRequest request, Function<DeviceSpec, T> work) {
    Objects.requireNonNull(request, "request");
    Objects.requireNonNull(work, "work");
    checkOpen();
    return pool(request.pool()).submit(request, work);
  }

  /**
   * Takes an inference slot on the least-loaded device of {@code pool} ("" = default) that has one
   * free, waiting up to {@code maxWait} for one; the caller closes the lease.
   *
   * @throws dev.graft.spi.GraftException RESOURCE_EXHAUSTED {@code INFERENCE_BUSY} after
   *     {@code maxWait}; FAILED_PRECONDITION {@code NO_INFERENCE_SLOTS} at once if the pool has
   *     none; UNAVAILABLE {@code SHUTTING_DOWN} if closed (also while waiting)
   */
  public InferenceLease acquireInference(String pool, Duration maxWait) throws InterruptedException {
    checkOpen();
    return pool(pool).acquireInference(maxWait);
  }

  /** Every pool at one moment (all pools are locked together while it is taken). */
  public List<PoolSnapshot> snapshot() {
    List<DevicePool> all = new ArrayList<>(pools.values());
    int locked = 0;
    try {
      for (DevicePool pool : all) {
        pool.lock();
        locked++;
      }
      return all.stream().map(DevicePool::snapshotLocked).toList();
    } finally {
      for (int i = locked - 1; i >= 0; i--) {
        all.get(i).unlock();
      }
    }
  }

  public String defaultPool() {
    return defaultPool;
  }

  /**
   * Stops accepting work; queued work completes exceptionally (UNAVAILABLE {@code SHUTTING_DOWN});
   * running work is left to finish and its threads end with it. Idempotent.
   */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      pools.values().forEach(DevicePool::close);
    }
  }

  /** Waits until all running training work has finished; false if {@code timeout} passed first. */
  public boolean awaitIdle(Duration timeout) throws InterruptedException {
    long wait;
    try {
      wait = Math.max(0, timeout.toNanos());
    } catch (ArithmeticException tooLong) {
      wait = Long.MAX_VALUE;
    }
    // Clamped so that the deadline cannot overflow (a century is "forever" here).
    long deadline = System.nanoTime() + Math.min(wait, Duration.ofDays(36_500).toNanos());
    for (DevicePool pool : pools.values()) {
      if (!pool.awaitIdle(deadline)) {
        return false;
      }
    }
    return true;
  }

  private void checkOpen() {
    if (closed.get()) {
      throw SchedulerErrors.shuttingDown();
    }
  }

  private DevicePool pool(String name) {
    String wanted = name == null || name.isEmpty() ? defaultPool : name;
    DevicePool pool = pools.get(wanted);
    if (pool == null) {
      throw SchedulerErrors.unknownPool(wanted, pools.keySet());
    }
    return pool;
  }
}
