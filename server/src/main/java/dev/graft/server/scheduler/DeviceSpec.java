package dev.graft.server.scheduler;

import ai.djl.Device;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One device of a pool: its id ({@code "cpu"} or {@code "gpu:N"}), how many training jobs and
 * inference calls it runs at once, and its memory budget in bytes for training work.
 *
 * <p>{@code memoryTotal == 0} means the memory is unknown: no budget is enforced on the device.
 * Immutable and thread-safe.
 */
public record DeviceSpec(String id, int trainingSlots, int inferenceSlots, long memoryTotal) {
  private static final Pattern GPU = Pattern.compile("gpu:(0|[1-9][0-9]{0,8})");

  /** The id of the host CPU device. */
  public static final String CPU = "cpu";

  public DeviceSpec {
    Objects.requireNonNull(id, "id");
    if (!CPU.equals(id) && !GPU.matcher(id).matches()) {
      throw new IllegalArgumentException("device id '" + id + "' is not 'cpu' or 'gpu:N'");
    }
    if (trainingSlots < 0 || inferenceSlots < 0) {
      throw new IllegalArgumentException(
          "device " + id + ": slots must be >= 0 (training " + trainingSlots
              + ", inference " + inferenceSlots + ")");
    }
    if (memoryTotal < 0) {
      throw new IllegalArgumentException("device " + id + ": memoryTotal must be >= 0");
    }
  }

  /** Whether this is a GPU ({@code "gpu:N"}). */
  public boolean isGpu() {
    return !CPU.equals(id);
  }

  /** The GPU index N of {@code "gpu:N"}; -1 for the CPU (DJL's convention). */
  public int gpuIndex() {
    Matcher m = GPU.matcher(id);
    return m.matches() ? Integer.parseInt(m.group(1)) : -1;
  }

  /** The DJL device: {@link Device#cpu()} or {@link Device#gpu(int)}. */
  public Device toDjlDevice() {
    return isGpu() ? Device.gpu(gpuIndex()) : Device.cpu();
  }
}
