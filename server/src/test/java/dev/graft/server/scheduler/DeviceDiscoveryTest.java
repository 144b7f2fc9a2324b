package dev.graft.server.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.util.cuda.CudaUtils;
import java.util.List;
import org.junit.jupiter.api.Test;

class DeviceDiscoveryTest {
  private static final long CPU_MEMORY = 64L << 30;

  private static DeviceDiscovery withGpus(int count) {
    return new DeviceDiscovery(() -> count, () -> CPU_MEMORY, index -> (index + 1) * 1000L);
  }

  private static String errorOf(DeviceDiscovery discovery, String devices) {
    return assertThrows(IllegalArgumentException.class, () -> discovery.resolve(devices, 1, 1))
        .getMessage();
  }

  @Test
  void cpuOnlyNeverAsksForGpus() {
    DeviceDiscovery discovery =
        new DeviceDiscovery(
            () -> {
              throw new AssertionError("gpu count asked for");
            },
            () -> CPU_MEMORY,
            index -> {
              throw new AssertionError("gpu memory asked for");
            });
    assertEquals(List.of(new DeviceSpec("cpu", 2, 4, CPU_MEMORY)), discovery.resolve("cpu", 2, 4));
  }

  @Test
  void gpuWildcardListsEveryGpuWithItsMemory() {
    assertEquals(
        List.of(new DeviceSpec("gpu:0", 1, 2, 1000), new DeviceSpec("gpu:1", 1, 2, 2000)),
        withGpus(2).resolve("gpu:*", 1, 2));
    assertEquals(
        List.of("cpu", "gpu:0", "gpu:1"),
        withGpus(2).resolve("cpu, gpu:*", 1, 1).stream().map(DeviceSpec::id).toList());
    assertEquals(
        List.of("gpu:1", "gpu:0"),
        withGpus(2).resolve(" gpu:1 ,gpu:0", 1, 1).stream().map(DeviceSpec::id).toList());
  }

  @Test
  void badTokensAreNamedInTheError() {
    String missing = errorOf(withGpus(2), "gpu:5");
    assertTrue(missing.contains("gpu:5") && missing.contains("gpu:1"), missing);
    String unknown = errorOf(withGpus(2), "tpu:0");
    assertTrue(unknown.contains("tpu:0") && unknown.contains("unknown device"), unknown);
    String none = errorOf(withGpus(0), "gpu:*");
    assertTrue(none.contains("gpu:*") && none.contains("no GPU"), none);
    assertTrue(errorOf(withGpus(0), "gpu:0").contains("no GPU"));
    assertTrue(errorOf(withGpus(2), "gpu:0,gpu:*").contains("'gpu:0' is listed twice"));
    assertTrue(errorOf(withGpus(2), "cpu,").contains("''"));
    assertTrue(errorOf(withGpus(2), "gpu:-1").contains("gpu:-1"));
    assertTrue(errorOf(withGpus(2), "gpu:99999999999").contains("gpu:99999999999"));
    assertTrue(errorOf(withGpus(2), " ").contains("empty"));
  }

  @Test
  void unknownGpuMemoryIsZero() {
    DeviceDiscovery discovery = new DeviceDiscovery(() -> 1, () -> -1, index -> null);
    assertEquals(
        List.of(new DeviceSpec("cpu", 1, 1, 0), new DeviceSpec("gpu:0", 1, 1, 0)),
        discovery.resolve("cpu,gpu:0", 1, 1));
  }

  @Test
  void djlDiscoveryMatchesThisMachine() {
    DeviceDiscovery discovery = DeviceDiscovery.djl();
    assertTrue(discovery.resolve("cpu", 1, 1).get(0).memoryTotal() > 0);
    int gpus = CudaUtils.getGpuCount();
    if (gpus == 0) {
      assertTrue(errorOf(discovery, "gpu:*").contains("no GPU"));
    } else {
      List<DeviceSpec> all = discovery.resolve("gpu:*", 1, 1);
      assertEquals(gpus, all.size());
      all.forEach(d -> assertTrue(d.memoryTotal() > 0, d.toString()));
    }
  }

  @Test
  void deviceSpecMapsIdsToDjlDevices() {
    DeviceSpec gpu = new DeviceSpec("gpu:3", 1, 1, 0);
    DeviceSpec cpu = new DeviceSpec("cpu", 1, 1, 0);
    assertTrue(gpu.isGpu());
    assertEquals(3, gpu.gpuIndex());
    assertEquals(-1, cpu.gpuIndex());
    assertEquals(Device.gpu(3), gpu.toDjlDevice());
    assertEquals(Device.cpu(), cpu.toDjlDevice());
    assertThrows(IllegalArgumentException.class, () -> new DeviceSpec("gpu:01", 1, 1, 0));
    assertThrows(IllegalArgumentException.class, () -> new DeviceSpec("cpu", -1, 1, 0));
  }
}
