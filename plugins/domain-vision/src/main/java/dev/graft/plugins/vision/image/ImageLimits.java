package dev.graft.plugins.vision.image;

import dev.graft.spi.ErrorKind;
import dev.graft.spi.GraftException;
import java.util.Locale;

/**
 * How many pixels the vision domain decodes: at most {@value #MAX_IMAGE_PIXELS} per image and
 * {@value #MAX_REQUEST_PIXELS} per call (all images of one Extract or Predict call, or of one
 * training batch, together). Both are checked from the images' headers and the tensors' shapes
 * before anything is decoded, so a small request that would unpack to gigabytes is refused at
 * once (RESOURCE_EXHAUSTED, reasons {@value #IMAGE_TOO_LARGE} and {@value #REQUEST_TOO_LARGE},
 * naming the input). Pixels are counted at the image's size, whatever its channels.
 */
public final class ImageLimits {
  /** The largest image, in pixels (width × height); about 7070 × 7070. */
  public static final long MAX_IMAGE_PIXELS = 50_000_000L;
  /** The most pixels one call may decode, all its images together. */
  public static final long MAX_REQUEST_PIXELS = 200_000_000L;
  /** The reason for one image over {@link #MAX_IMAGE_PIXELS}. */
  public static final String IMAGE_TOO_LARGE = "IMAGE_TOO_LARGE";
  /** The reason for a call whose images together exceed {@link #MAX_REQUEST_PIXELS}. */
  public static final String REQUEST_TOO_LARGE = "REQUEST_TOO_LARGE";

  private ImageLimits() {}

  /**
   * Refuses an image of {@code width × height} (from its header or shape) over the per-image
   * limit; returns its pixel count. Sides up to {@code Long.MAX_VALUE} are safe (no overflow).
   */
  static long checkImage(long width, long height, String field) {
    if (width > MAX_IMAGE_PIXELS || height > MAX_IMAGE_PIXELS
        || width * height > MAX_IMAGE_PIXELS) {
      throw new GraftException(ErrorKind.RESOURCE_EXHAUSTED, IMAGE_TOO_LARGE, field,
          field + " is " + width + " × " + height + " pixels; an image may have at most "
              + format(MAX_IMAGE_PIXELS) + " pixels", null);
    }
    return width * height;
  }

  /** The refusal of a call that reaches {@code total} pixels at input {@code field}. */
  static GraftException requestTooLarge(String field, long own, long total) {
    return new GraftException(ErrorKind.RESOURCE_EXHAUSTED, REQUEST_TOO_LARGE, field,
        "with " + field + " (" + format(own) + " pixels) the images of this call add up to "
            + format(total) + " pixels; at most " + format(MAX_REQUEST_PIXELS)
            + " are decoded per call: send fewer or smaller images per call", null);
  }

  private static String format(long n) {
    return String.format(Locale.ROOT, "%,d", n);
  }
}
