package dev.graft.server.scheduler;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The mutable load of one device. Not thread-safe: every field is guarded by the owning
 * {@link DevicePool}'s lock (the thread counter is atomic and needs no lock).
 */
final class DeviceState {
  final DeviceSpec spec;
  int runningJobs;
  int startingJobs;
  int runningInferences;
  long memoryUsed;
  private final AtomicInteger threadNumber = new AtomicInteger();

  DeviceState(DeviceSpec spec) {
    this.spec = spec;
  }

  DeviceLoad trainingLoad() {
    return new DeviceLoad(runningJobs, spec.trainingSlots(), memoryUsed, spec.memoryTotal());
  }

  DeviceLoad inferenceLoad() {
    return DeviceLoad.slotsOnly(runningInferences, spec.inferenceSlots());
  }

  DeviceSnapshot snapshot() {
    return new DeviceSnapshot(
        spec.id(),
        runningJobs,
        startingJobs,
        spec.trainingSlots(),
        runningInferences,
        spec.inferenceSlots(),
        memoryUsed,
        spec.memoryTotal());
  }

  /**
   * A new daemon thread named {@code graft-train-<device>-N} for one work item. Daemon, so that
   * work that ignores cancellation cannot keep the JVM alive after the server's shutdown.
   */
  Thread newTrainingThread(Runnable body) {
    Thread thread = new Thread(body, "graft-train-" + spec.id() + "-" + threadNumber.incrementAndGet());
    thread.setDaemon(true);
    return thread;
  }
}
