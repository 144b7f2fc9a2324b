package dev.graft.server.scheduler;

/**
 * A device at one moment. Immutable.
 *
 * @param runningJobs training work placed on the device and not yet returned
 * @param queuedJobs work placed on the device whose thread has not yet begun it (normally 0:
 *     work waits in the pool's queue, not on a device; see {@link PoolSnapshot#queued()})
 * @param memoryUsed sum of the memory estimates of its running training work
 * @param memoryTotal its memory budget (0 = unknown, not enforced)
 */
public record DeviceSnapshot(
    String id,
    int runningJobs,
    int queuedJobs,
    int trainingSlots,
    int runningInferences,
    int inferenceSlots,
    long memoryUsed,
    long memoryTotal) {}
