package dev.graft.plugins.vision.torch;

import java.util.Arrays;

/**
 * One tensor of a torch state dict, copied out of its storage in row-major order: float32
 * values ({@link #floats}) or int64 values ({@link #longs}), the other null. Immutable by
 * convention (the arrays are not copied on access; callers must not change them).
 *
 * @param shape the tensor's sizes ({@code []} for a scalar)
 * @param floats the values of a float32 tensor, else null
 * @param longs the values of an int64 tensor, else null
 */
public record TorchTensor(long[] shape, float[] floats, long[] longs) {

  /** The number of values (the product of the sizes). */
  public long size() {
    long n = 1;
    for (long s : shape) {
      n *= s;
    }
    return n;
  }

  /** Whether the values are float32. */
  public boolean isFloat() {
    return floats != null;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TorchTensor t && Arrays.equals(t.shape, shape)
        && Arrays.equals(t.floats, floats) && Arrays.equals(t.longs, longs);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(shape) * 31 + Arrays.hashCode(floats) * 17 + Arrays.hashCode(longs);
  }

  @Override
  public String toString() {
    return "TorchTensor[" + (isFloat() ? "float32 " : "int64 ") + Arrays.toString(shape) + "]";
  }
}
