package dev.graft.server.scheduler;

/**
 * The load of one device for one kind of slot, as {@link PlacementPolicy} sees it. Immutable.
 *
 * @param running work items using a slot of this kind
 * @param slots slots of this kind
 * @param memoryUsed bytes reserved by running work
 * @param memoryTotal the budget in bytes; 0 = unknown, not enforced
 */
record DeviceLoad(int running, int slots, long memoryUsed, long memoryTotal) {

  /** A load for which memory does not matter (inference). */
  static DeviceLoad slotsOnly(int running, int slots) {
    return new DeviceLoad(running, slots, 0, 0);
  }

  boolean hasFreeSlot() {
    return running < slots;
  }

  /** Whether {@code memoryEstimate} more bytes fit in the remaining budget. */
  boolean fits(long memoryEstimate) {
    return memoryTotal == 0 || memoryEstimate <= memoryTotal - memoryUsed;
  }

  /** Whether {@code memoryEstimate} bytes could ever fit on the device (when it is idle). */
  boolean couldEverFit(long memoryEstimate) {
    return slots > 0 && (memoryTotal == 0 || memoryEstimate <= memoryTotal);
  }

  /** Compares {@code running/slots} of two loads with free slots, exactly (no floating point). */
  int compareLoad(DeviceLoad other) {
    return Long.compare((long) running * other.slots, (long) other.running * slots);
  }
}
