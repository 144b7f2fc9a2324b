package dev.graft.server.scheduler;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

/**
 * One pool at run time: its devices' loads, its admission queue and the dispatcher that moves the
 * head of the queue onto a device whenever a training slot is free.
 *
 * <p>Thread-safe: all state is guarded by one lock. Futures are never completed and threads
 * never started while the lock is held. Dispatch is strict head-of-line: when the head of the
 * queue fits nowhere yet (no free slot, or not enough memory left), nothing behind it starts, so a
 * large job is not starved by small ones. Each work item runs on its own scheduler-owned daemon
 * thread, which ends when the work returns.
 */
final class DevicePool {
  private record Launch(Ticket<?> ticket, DeviceState device) {}

  private final PoolSpec spec;
  private final PlacementPolicy policy;
  private final List<DeviceState> devices;
  private final AdmissionQueue<Ticket<?>> queue;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition inferenceFreed = lock.newCondition();
  private final Condition idle = lock.newCondition();
  /** Work placed on a device whose future is not yet completed. */
  private int active;
  private boolean closed;

  DevicePool(PoolSpec spec, PlacementPolicy policy) {
    this.spec = Objects.requireNonNull(spec, "spec");
    this.policy = Objects.requireNonNull(policy, "policy");
    this.devices = spec.devices().stream().map(DeviceState::new).toList();
    this.queue = new AdmissionQueue<>(spec.queueCapacity());
  }

  String name() {
    return spec.name();
  }

  <T> ScheduledWork<T> submit(WorkRequest request, Function<DeviceSpec, T> work) {
    checkCouldEverRun(request);
    Ticket<T> ticket = new Ticket<>(request, work, this);
    List<Launch> launches;
    lock.lock();
    try {
      if (closed) {
        throw SchedulerErrors.shuttingDown();
      }
      OptionalInt now =
          queue.isEmpty()
              ? policy.placeTraining(trainingLoads(), request.memoryEstimate())
              : OptionalInt.empty();
      if (now.isPresent()) {
        launches = List.of(reserve(ticket, devices.get(now.getAsInt())));
      } else {
        if (!queue.offer(ticket, request.priority())) {
          throw SchedulerErrors.queueFull(spec.name(), queue.capacity());
        }
        launches = dispatchLocked();
      }
    } finally {
      lock.unlock();
    }
    ticket.result().whenComplete((value, failure) -> {
      if (ticket.result().isCancelled()) {
        cancel(ticket);
      }
    });
    start(launches);
    return ticket;
  }

  /** Removes a queued ticket and cancels its future; false if it is not in the queue. */
  boolean cancel(Ticket<?> ticket) {
    boolean removed;
    lock.lock();
    try {
      removed = queue.remove(ticket);
    } finally {
      lock.unlock();
    }
    if (removed) {
      ticket.result().cancel(false);
    }
    return removed;
  }

  InferenceLease acquireInference(Duration maxWait) throws InterruptedException {
    if (devices.stream().allMatch(d -> d.spec.inferenceSlots() == 0)) {
      throw SchedulerErrors.noInferenceSlots(spec.name());
    }
    long waitNanos = saturatedNanos(maxWait);
    long remaining = waitNanos;
    lock.lockInterruptibly();
    try {
      while (true) {
        if (closed) {
          throw SchedulerErrors.shuttingDown();
        }
        OptionalInt index = policy.placeInference(inferenceLoads());
        if (index.isPresent()) {
          DeviceState device = devices.get(index.getAsInt());
          device.runningInferences++;
          return new Lease(device);
        }
        if (remaining <= 0) {
          throw SchedulerErrors.inferenceBusy(spec.name(), Duration.ofNanos(waitNanos).toMillis());
        }
        remaining = inferenceFreed.awaitNanos(remaining);
      }
    } finally {
      lock.unlock();
    }
  }

  /** The caller must hold {@link #lock()}. */
  PoolSnapshot snapshotLocked() {
    List<DeviceSnapshot> snapshots = devices.stream().map(DeviceState::snapshot).toList();
    return new PoolSnapshot(spec.name(), queue.size(), queue.capacity(), snapshots);
  }

  void lock() {
    lock.lock();
  }

  void unlock() {
    lock.unlock();
  }

  /**
   * Stops accepting work, fails every queued item with SHUTTING_DOWN and wakes inference waiters.
   * Running work is left alone. Idempotent.
   */
  void close() {
    List<Ticket<?>> refused;
    lock.lock();
    try {
      closed = true;
      refused = queue.drain();
      inferenceFreed.signalAll();
    } finally {
      lock.unlock();
    }
    for (Ticket<?> ticket : refused) {
      ticket.result().completeExceptionally(SchedulerErrors.shuttingDown());
    }
  }

  /** Waits until no placed work is left, or until {@code deadlineNanos} (System.nanoTime). */
  boolean awaitIdle(long deadlineNanos) throws InterruptedException {
    lock.lockInterruptibly();
    try {
      while (active > 0) {
        long remaining = deadlineNanos - System.nanoTime();
        if (remaining <= 0) {
          return false;
        }
        idle.awaitNanos(remaining);
      }
      return true;
    } finally {
      lock.unlock();
    }
  }

  private void checkCouldEverRun(WorkRequest request) {
    long estimate = request.memoryEstimate();
    List<DeviceLoad> idleLoads =
        devices.stream()
            .map(d -> new DeviceLoad(0, d.spec.trainingSlots(), 0, d.spec.memoryTotal()))
            .toList();
    if (idleLoads.stream().allMatch(l -> l.slots() == 0)) {
      throw SchedulerErrors.noTrainingSlots(spec.name());
    }
    if (idleLoads.stream().noneMatch(l -> l.couldEverFit(estimate))) {
      long largest =
          idleLoads.stream()
              .filter(l -> l.slots() > 0)
              .mapToLong(DeviceLoad::memoryTotal)
              .max()
              .orElse(0);
      throw SchedulerErrors.insufficientMemory(request.id(), estimate, spec.name(), largest);
    }
  }

  /** Moves queue heads onto devices while they fit. The caller holds the lock. */
  private List<Launch> dispatchLocked() {
    List<Launch> launches = new ArrayList<>();
    while (!closed && !queue.isEmpty()) {
      Ticket<?> head = queue.peek();
      OptionalInt index = policy.placeTraining(trainingLoads(), head.request().memoryEstimate());
      if (index.isEmpty()) {
        break;
      }
      queue.poll();
      launches.add(reserve(head, devices.get(index.getAsInt())));
    }
    return launches;
  }

  private Launch reserve(Ticket<?> ticket, DeviceState device) {
    device.runningJobs++;
    device.startingJobs++;
    device.memoryUsed += ticket.request().memoryEstimate();
    active++;
    ticket.placedOn(device.spec);
    return new Launch(ticket, device);
  }

  /** Starts one thread per launch. Called without the lock. */
  private void start(List<Launch> launches) {
    for (Launch launch : launches) {
      try {
        launch.device().newTrainingThread(() -> run(launch)).start();
      } catch (RuntimeException | Error e) {
        Throwable failure =
            SchedulerErrors.threadStartFailed(launch.ticket().id(), launch.device().spec.id(), e);
        finish(launch, true, () -> launch.ticket().result().completeExceptionally(failure));
      }
    }
  }

  /** The body of a training thread. */
  private void run(Launch launch) {
    lock.lock();
    try {
      launch.device().startingJobs--;
    } finally {
      lock.unlock();
    }
    Runnable completion = launch.ticket().execute(launch.device().spec);
    finish(launch, false, completion);
  }

  /**
   * Frees the launch's slot and memory, dispatches the queue, then completes the future (so a
   * caller that sees the future done also sees the slot free), then counts the work as ended.
   */
  private void finish(Launch launch, boolean neverStarted, Runnable completion) {
    List<Launch> next;
    lock.lock();
    try {
      DeviceState device = launch.device();
      device.runningJobs--;
      if (neverStarted) {
        device.startingJobs--;
      }
      device.memoryUsed -= launch.ticket().request().memoryEstimate();
      next = dispatchLocked();
    } finally {
      lock.unlock();
    }
    start(next);
    try {
      completion.run();
    } finally {
      lock.lock();
      try {
        active--;
        if (active == 0) {
          idle.signalAll();
        }
      } finally {
        lock.unlock();
      }
    }
  }

  private List<DeviceLoad> trainingLoads() {
    return devices.stream().map(DeviceState::trainingLoad).toList();
  }

  private List<DeviceLoad> inferenceLoads() {
    return devices.stream().map(DeviceState::inferenceLoad).toList();
  }

  private static long saturatedNanos(Duration duration) {
    if (duration == null || duration.isNegative()) {
      return 0;
    }
    try {
      return duration.toNanos();
    } catch (ArithmeticException tooLong) {
      return Long.MAX_VALUE;
    }
  }

  /** An inference slot; closing it frees the slot once. */
  private final class Lease implements InferenceLease {
    private final DeviceState device;
    private final AtomicBoolean released = new AtomicBoolean();

    Lease(DeviceState device) {
      this.device = device;
    }

    @Override
    public DeviceSpec device() {
      return device.spec;
    }

    @Override
    public void close() {
      if (!released.compareAndSet(false, true)) {
        return;
      }
      lock.lock();
      try {
        device.runningInferences--;
        inferenceFreed.signalAll();
      } finally {
        lock.unlock();
      }
    }
  }
}
