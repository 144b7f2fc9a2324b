package dev.graft.plugins.nlp.onnx;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A tensor stored in an ONNX file (an initializer or a Constant node's value): its name, shape,
 * element type and data, which stays in the file's bytes until read. Immutable.
 *
 * @param name the tensor's name
 * @param dims its shape
 * @param dataType the ONNX element type ({@link #FLOAT}, {@link #INT64}, ...)
 * @param raw the little-endian {@code raw_data}, or empty when the values are in typed fields
 * @param floats {@code float_data} values (used when {@code raw} is empty)
 * @param longs {@code int64_data} (or widened {@code int32_data}) values
 */
public record OnnxTensor(
    String name, long[] dims, int dataType, ByteString raw, float[] floats, long[] longs) {

  /** ONNX {@code TensorProto.DataType.FLOAT}. */
  public static final int FLOAT = 1;
  /** ONNX {@code TensorProto.DataType.INT32}. */
  public static final int INT32 = 6;
  /** ONNX {@code TensorProto.DataType.INT64}. */
  public static final int INT64 = 7;

  /** The number of elements. */
  public long size() {
    long n = 1;
    for (long d : dims) {
      n *= d;
    }
    return n;
  }

  /**
   * The element count as an array length, checked: every dimension non-negative and the product
   * within an array's reach (a hostile file may declare anything).
   *
   * @throws IllegalStateException otherwise
   */
  private int elements() {
    long n = 1;
    for (long d : dims) {
      if (d < 0) {
        throw new IllegalStateException(name + " has a negative dimension: " + Arrays.toString(dims));
      }
      if (d != 0 && n > (Integer.MAX_VALUE - 8) / d) {
        throw new IllegalStateException(name + " has more elements than an array holds: " + Arrays.toString(dims));
      }
      n *= d;
    }
    return (int) n;
  }

  /**
   * The values as floats, row-major.
   *
   * @throws IllegalStateException when the tensor is not float32 or its data is missing
   */
  public float[] toFloats() {
    if (dataType != FLOAT) {
      throw new IllegalStateException(name + " is ONNX type " + dataType + ", not float");
    }
    int n = elements();
    if (!raw.isEmpty()) {
      requireBytes(n * 4L);
      float[] out = new float[n];
      raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
      return out;
    }
    if (floats.length != n) {
      throw new IllegalStateException(name + " holds " + floats.length + " floats, not " + n);
    }
    return floats.clone();
  }

  /**
   * The values as longs (int64 or int32 tensors).
   *
   * @throws IllegalStateException for other types or missing data
   */
  public long[] toLongs() {
    int n = elements();
    if (!raw.isEmpty()) {
      ByteBuffer buffer = raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
      if (dataType != INT64 && dataType != INT32) {
        throw new IllegalStateException(name + " is ONNX type " + dataType + ", not an integer");
      }
      // The data's length is checked before anything of the declared size is allocated.
      requireBytes(n * (dataType == INT64 ? 8L : 4L));
      long[] out = new long[n];
      if (dataType == INT64) {
        buffer.asLongBuffer().get(out);
      } else {
        for (int i = 0; i < n; i++) {
          out[i] = buffer.getInt(i * 4);
        }
      }
      return out;
    }
    if (longs.length != n) {
      throw new IllegalStateException(name + " holds " + longs.length + " integers, not " + n);
    }
    return longs.clone();
  }

  /** The single value of a one-element float or integer tensor, as a double. */
  public double scalar() {
    if (size() != 1) {
      throw new IllegalStateException(name + " has shape " + Arrays.toString(dims));
    }
    return dataType == FLOAT ? toFloats()[0] : toLongs()[0];
  }

  private void requireBytes(long expected) {
    if (raw.size() != expected) {
      throw new IllegalStateException(
          name + " has " + raw.size() + " bytes of data, expected " + expected);
    }
  }
}
