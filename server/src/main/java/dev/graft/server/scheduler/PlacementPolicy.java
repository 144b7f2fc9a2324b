package dev.graft.server.scheduler;

import java.util.List;
import java.util.OptionalInt;

/**
 * Chooses a device: among devices with a free slot (and, for training, room in the memory budget)
 * the least-loaded one by {@code running/slots}; ties go to the lowest index. A pure function
 * over its arguments; stateless and thread-safe.
 */
final class PlacementPolicy {

  /**
   * The index in {@code loads} of the device for training work needing {@code memoryEstimate}
   * bytes (0 = unknown), or empty if none has a free slot with room.
   */
  OptionalInt placeTraining(List<DeviceLoad> loads, long memoryEstimate) {
    int best = -1;
    for (int i = 0; i < loads.size(); i++) {
      DeviceLoad load = loads.get(i);
      if (load.hasFreeSlot()
          && load.fits(memoryEstimate)
          && (best < 0 || load.compareLoad(loads.get(best)) < 0)) {
        best = i;
      }
    }
    return best < 0 ? OptionalInt.empty() : OptionalInt.of(best);
  }

  /** The index in {@code loads} of the device for one inference call, or empty if all are busy. */
  OptionalInt placeInference(List<DeviceLoad> loads) {
    return placeTraining(loads, 0);
  }
}
