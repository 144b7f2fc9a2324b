package dev.graft.server.scheduler;

import dev.graft.spi.ErrorKind;
import dev.graft.spi.GraftException;
import java.util.Collection;

/** The scheduler's refusals, one factory per reason. Stateless. */
final class SchedulerErrors {
  static final String QUEUE_FULL = "QUEUE_FULL";
  static final String UNKNOWN_DEVICE_POOL = "UNKNOWN_DEVICE_POOL";
  static final String SHUTTING_DOWN = "SHUTTING_DOWN";
  static final String INSUFFICIENT_DEVICE_MEMORY = "INSUFFICIENT_DEVICE_MEMORY";
  static final String INFERENCE_BUSY = "INFERENCE_BUSY";
  static final String NO_TRAINING_SLOTS = "NO_TRAINING_SLOTS";
  static final String NO_INFERENCE_SLOTS = "NO_INFERENCE_SLOTS";
  static final String THREAD_START_FAILED = "THREAD_START_FAILED";

  /** The API field that names a device pool. */
  static final String POOL_FIELD = "device_pool";

  private SchedulerErrors() {}

  static GraftException queueFull(String pool, int capacity) {
    return GraftException.resourceExhausted(
        QUEUE_FULL,
        "the queue of device pool '" + pool + "' is full (capacity " + capacity
            + "); retry later");
  }

  static GraftException unknownPool(String pool, Collection<String> pools) {
    return GraftException.invalidArgument(
        POOL_FIELD,
        UNKNOWN_DEVICE_POOL,
        "unknown device pool '" + pool + "'; pools: " + String.join(", ", pools));
  }

  static GraftException shuttingDown() {
    return new GraftException(
        ErrorKind.UNAVAILABLE, SHUTTING_DOWN, "the server is shutting down; no new work is accepted");
  }

  static GraftException insufficientMemory(String workId, long estimate, String pool, long largest) {
    return GraftException.resourceExhausted(
        INSUFFICIENT_DEVICE_MEMORY,
        "work " + workId + " needs an estimated " + estimate + " bytes but the largest device of"
            + " pool '" + pool + "' has " + largest + " bytes");
  }

  static GraftException noTrainingSlots(String pool) {
    return GraftException.failedPrecondition(
        NO_TRAINING_SLOTS, "device pool '" + pool + "' has no training slots");
  }

  static GraftException noInferenceSlots(String pool) {
    return GraftException.failedPrecondition(
        NO_INFERENCE_SLOTS, "device pool '" + pool + "' has no inference slots");
  }

  static GraftException inferenceBusy(String pool, long waitedMillis) {
    return GraftException.resourceExhausted(
        INFERENCE_BUSY,
        "all inference slots of device pool '" + pool + "' stayed busy for " + waitedMillis
            + " ms; retry later");
  }

  static GraftException threadStartFailed(String workId, String device, Throwable cause) {
    return GraftException.internal(
        THREAD_START_FAILED, "could not start a thread for work " + workId + " on " + device, cause);
  }
}
