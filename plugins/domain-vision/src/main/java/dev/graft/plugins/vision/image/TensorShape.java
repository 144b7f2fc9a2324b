package dev.graft.plugins.vision.image;

import dev.graft.spi.GraftException;
import dev.graft.spi.ModelInput;
import java.util.Arrays;

/**
 * The shape of a uint8 image tensor, [H, W] (grey) or [H, W, C] with C = 1, 3 or 4, checked
 * against its bytes and {@link ImageLimits#MAX_IMAGE_PIXELS} without allocating anything (sizes
 * near {@code Long.MAX_VALUE} cannot overflow the checks).
 *
 * @param height H
 * @param width W
 * @param channels C (1 for [H, W])
 */
record TensorShape(int height, int width, int channels) {

  long pixels() {
    return (long) height * width;
  }

  /**
   * Checks {@code tensor}.
   *
   * @throws GraftException INVALID_ARGUMENT (UNSUPPORTED_TENSOR_DTYPE, BAD_TENSOR_SHAPE,
   *     BAD_TENSOR_DATA) or RESOURCE_EXHAUSTED (IMAGE_TOO_LARGE), naming {@code field}
   */
  static TensorShape of(ModelInput.Tensor tensor, String field) {
    if (!"uint8".equalsIgnoreCase(tensor.dtype())) {
      throw bad(field, "UNSUPPORTED_TENSOR_DTYPE", field + " has dtype " + tensor.dtype()
          + "; image tensors are uint8 [H, W] or [H, W, C]");
    }
    long[] shape = tensor.shape();
    if (shape == null || shape.length < 2 || shape.length > 3) {
      throw bad(field, "BAD_TENSOR_SHAPE", field + " must be [H, W] or [H, W, C]");
    }
    long h = shape[0];
    long w = shape[1];
    long c = shape.length == 3 ? shape[2] : 1;
    if (h < 1 || w < 1 || (c != 1 && c != 3 && c != 4)) {
      throw bad(field, "BAD_TENSOR_SHAPE", field + " has shape " + Arrays.toString(shape)
          + "; need H, W ≥ 1 and C in {1, 3, 4}");
    }
    long pixels = ImageLimits.checkImage(w, h, field);
    byte[] bytes = tensor.data();
    if (bytes == null || bytes.length != pixels * c) {
      throw bad(field, "BAD_TENSOR_DATA", field + " holds " + (bytes == null ? 0 : bytes.length)
          + " bytes; shape " + Arrays.toString(shape) + " needs " + pixels * c);
    }
    return new TensorShape((int) h, (int) w, (int) c);
  }

  private static GraftException bad(String field, String reason, String message) {
    return GraftException.invalidArgument(field, reason, message);
  }
}
