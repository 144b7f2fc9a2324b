package dev.graft.server.scheduler;

import ai.djl.Device;
import ai.djl.util.cuda.CudaUtils;
import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.IntFunction;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns a pool's device string from the configuration ({@code "cpu"}, {@code "gpu:0,gpu:1"},
 * {@code "gpu:*"}, {@code "cpu,gpu:*"}) into {@link DeviceSpec}s with their memory.
 *
 * <p>The GPU count is asked for only when the string names a GPU, and at most once per
 * {@link #resolve} call. Thread-safe if its suppliers are.
 */
public final class DeviceDiscovery {
  private static final Pattern GPU_INDEX = Pattern.compile("gpu:([0-9]+)");

  private final IntSupplier gpuCount;
  private final LongSupplier cpuMemory;
  private final IntFunction<Long> gpuMemory;

  /**
   * @param gpuCount how many GPUs there are
   * @param cpuMemory the host memory budget in bytes (0 = unknown)
   * @param gpuMemory total memory of GPU N in bytes (null or 0 = unknown)
   */
  public DeviceDiscovery(IntSupplier gpuCount, LongSupplier cpuMemory, IntFunction<Long> gpuMemory) {
    this.gpuCount = Objects.requireNonNull(gpuCount, "gpuCount");
    this.cpuMemory = Objects.requireNonNull(cpuMemory, "cpuMemory");
    this.gpuMemory = Objects.requireNonNull(gpuMemory, "gpuMemory");
  }

  /**
   * The real machine: GPUs and their memory from DJL's {@link CudaUtils}; the CPU's memory is the
   * physical (or container) memory the JVM reports, else the JVM's maximum heap.
   */
  public static DeviceDiscovery djl() {
    return new DeviceDiscovery(
        CudaUtils::getGpuCount,
        DeviceDiscovery::hostMemory,
        index -> CudaUtils.getGpuMemory(Device.gpu(index)).getMax());
  }

  /**
   * The devices named by {@code devices}, in the order given, each with the given slots.
   *
   * @throws IllegalArgumentException naming the token at fault: unknown syntax, a GPU index not
   *     present, {@code gpu:*} with no GPU, or a device listed twice
   */
  public List<DeviceSpec> resolve(String devices, int trainingSlots, int inferenceSlots) {
    Objects.requireNonNull(devices, "devices");
    if (devices.isBlank()) {
      throw new IllegalArgumentException("device list is empty; expected e.g. cpu, gpu:0 or gpu:*");
    }
    Integer gpus = null;
    Set<String> ids = new LinkedHashSet<>();
    for (String raw : devices.split(",", -1)) {
      String token = raw.trim();
      List<String> named;
      if (token.equals(DeviceSpec.CPU)) {
        named = List.of(DeviceSpec.CPU);
      } else if (token.equals("gpu:*")) {
        gpus = gpus == null ? gpuCount.getAsInt() : gpus;
        if (gpus <= 0) {
          throw new IllegalArgumentException("device 'gpu:*': no GPU found on this machine");
        }
        named = new ArrayList<>();
        for (int i = 0; i < gpus; i++) {
          named.add("gpu:" + i);
        }
      } else {
        Matcher m = GPU_INDEX.matcher(token);
        if (!m.matches()) {
          throw new IllegalArgumentException(
              "device '" + token + "' in '" + devices + "': unknown device; expected cpu, gpu:N"
                  + " or gpu:*");
        }
        gpus = gpus == null ? gpuCount.getAsInt() : gpus;
        int index = parseIndex(m.group(1), token);
        if (index >= gpus) {
          throw new IllegalArgumentException(
              "device '" + token + "': no such GPU; this machine has "
                  + (gpus <= 0 ? "no GPU" : gpus + " (gpu:0 to gpu:" + (gpus - 1) + ")"));
        }
        named = List.of("gpu:" + index);
      }
      for (String id : named) {
        if (!ids.add(id)) {
          throw new IllegalArgumentException(
              "device '" + id + "' is listed twice in '" + devices + "'");
        }
      }
    }
    List<DeviceSpec> specs = new ArrayList<>(ids.size());
    for (String id : ids) {
      specs.add(new DeviceSpec(id, trainingSlots, inferenceSlots, memoryOf(id)));
    }
    return specs;
  }

  private long memoryOf(String id) {
    if (id.equals(DeviceSpec.CPU)) {
      return Math.max(0, cpuMemory.getAsLong());
    }
    Long memory = gpuMemory.apply(Integer.parseInt(id.substring("gpu:".length())));
    return memory == null ? 0 : Math.max(0, memory);
  }

  private static int parseIndex(String digits, String token) {
    try {
      return Integer.parseInt(digits);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("device '" + token + "': GPU index out of range", e);
    }
  }

  private static long hostMemory() {
    OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
      return sun.getTotalMemorySize();
    }
    return Runtime.getRuntime().maxMemory();
  }
}
