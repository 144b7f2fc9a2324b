package dev.graft.plugins.vision.image;

import dev.graft.spi.GraftException;
import dev.graft.spi.ModelInput;
import java.util.List;

/**
 * The pixels one call decodes, all its inputs together, counted from the images' headers and the
 * tensors' shapes before any of them is decoded: over {@link ImageLimits#MAX_REQUEST_PIXELS}
 * the call is refused (RESOURCE_EXHAUSTED, {@value ImageLimits#REQUEST_TOO_LARGE}) naming the
 * input that crosses the limit. Each input is checked on its own as well ({@link ImageHeader},
 * {@link TensorShape}), so a corrupt or oversized later input is refused before an earlier one
 * is decoded.
 *
 * <p>Stateless and thread-safe.
 */
public final class PixelBudget {
  private PixelBudget() {}

  /**
   * Checks {@code inputs}, named {@code inputs[firstIndex]} onwards.
   *
   * @return the pixels they hold together
   * @throws GraftException RESOURCE_EXHAUSTED (IMAGE_TOO_LARGE, REQUEST_TOO_LARGE) or
   *     INVALID_ARGUMENT for an input that is not an image, naming it
   */
  public static long check(List<ModelInput> inputs, int firstIndex) {
    long total = 0;
    for (int i = 0; i < inputs.size(); i++) {
      String field = "inputs[" + (firstIndex + i) + "]";
      long own = pixels(inputs.get(i), field);
      total += own; // each is at most MAX_IMAGE_PIXELS and the sum stays under the limit: no overflow
      if (total > ImageLimits.MAX_REQUEST_PIXELS) {
        throw ImageLimits.requestTooLarge(field, own, total);
      }
    }
    return total;
  }

  /**
   * The pixels {@code input} decodes to, checked on its own (header or shape only).
   *
   * @throws GraftException INVALID_ARGUMENT or RESOURCE_EXHAUSTED (IMAGE_TOO_LARGE) naming
   *     {@code field}
   */
  public static long pixels(ModelInput input, String field) {
    if (input instanceof ModelInput.Image image) {
      return ImageHeader.read(image.encoded(), field).pixels();
    }
    if (input instanceof ModelInput.Tensor tensor) {
      return TensorShape.of(tensor, field).pixels();
    }
    throw notAnImage(input, field);
  }

  /** The refusal of an input that is neither an encoded image nor a tensor. */
  static GraftException notAnImage(ModelInput input, String field) {
    return GraftException.invalidArgument(field, "UNSUPPORTED_INPUT_KIND", field + " is "
        + (input == null ? "missing" : input.kind().name()) + "; images are IMAGE or uint8 TENSOR");
  }
}
