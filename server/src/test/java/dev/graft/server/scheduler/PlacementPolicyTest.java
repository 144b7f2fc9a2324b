package dev.graft.server.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class PlacementPolicyTest {
  private final PlacementPolicy policy = new PlacementPolicy();

  private static DeviceLoad load(int running, int slots) {
    return new DeviceLoad(running, slots, 0, 0);
  }

  @Test
  void spreadsEightJobsOverFourDevicesTwoEachThenRefusesTheNinth() {
    List<DeviceLoad> loads = new ArrayList<>(List.of(load(0, 2), load(0, 2), load(0, 2), load(0, 2)));
    List<Integer> picks = new ArrayList<>();
    for (int job = 0; job < 8; job++) {
      int index = policy.placeTraining(loads, 0).orElseThrow();
      picks.add(index);
      DeviceLoad old = loads.get(index);
      loads.set(index, load(old.running() + 1, old.slots()));
    }
    assertEquals(List.of(0, 1, 2, 3, 0, 1, 2, 3), picks);
    assertEquals(OptionalInt.empty(), policy.placeTraining(loads, 0));
  }

  @Test
  void comparesLoadAsAFractionOfSlots() {
    // 1 of 4 slots (0.25) is less loaded than 1 of 2 (0.5); 0 of 1 is least.
    assertEquals(OptionalInt.of(1), policy.placeTraining(List.of(load(1, 2), load(1, 4)), 0));
    assertEquals(OptionalInt.of(2), policy.placeTraining(List.of(load(1, 2), load(1, 4), load(0, 1)), 0));
    // 1/3 and 2/6 are equal: the lower index wins.
    assertEquals(OptionalInt.of(0), policy.placeTraining(List.of(load(1, 3), load(2, 6)), 0));
    assertEquals(OptionalInt.of(0), policy.placeTraining(List.of(load(2, 6), load(1, 3)), 0));
  }

  @Test
  void skipsDevicesWithoutSlotsOrMemory() {
    List<DeviceLoad> loads =
        List.of(
            new DeviceLoad(0, 0, 0, 0), // no training slots at all
            new DeviceLoad(0, 2, 80, 100), // 20 bytes left
            new DeviceLoad(1, 2, 10, 100), // 90 bytes left, busier
            new DeviceLoad(0, 1, 0, 0)); // unknown memory: no budget
    assertEquals(OptionalInt.of(1), policy.placeTraining(loads, 20));
    assertEquals(OptionalInt.of(3), policy.placeTraining(loads, 21));
    assertEquals(OptionalInt.of(2), policy.placeTraining(loads.subList(0, 3), 90));
    assertEquals(OptionalInt.empty(), policy.placeTraining(loads.subList(0, 3), 91));
  }

  @Test
  void inferenceIgnoresMemoryAndPicksLeastLoaded() {
    List<DeviceLoad> loads =
        List.of(DeviceLoad.slotsOnly(2, 2), DeviceLoad.slotsOnly(1, 4), DeviceLoad.slotsOnly(1, 2));
    assertEquals(OptionalInt.of(1), policy.placeInference(loads));
    assertEquals(OptionalInt.empty(), policy.placeInference(List.of(DeviceLoad.slotsOnly(1, 1))));
  }
}
