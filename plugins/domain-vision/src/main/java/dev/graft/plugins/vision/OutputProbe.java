package dev.graft.plugins.vision;

import dev.graft.plugins.vision.image.InputSpec;
import dev.graft.spi.GraftException;
import dev.graft.spi.ModelInput;

/**
 * The probe pass every vision backbone runs once when it is opened (so at ImportModel, where the
 * server turns FAILED_PRECONDITION into INVALID_ARGUMENT on the file, and at each later load,
 * never per request): one fixed image through the whole path — decoding, preprocessing, the
 * network, pooling — whose features must all be finite. Weights that are NaN, infinite, or so
 * large that they overflow (or a file whose weights could not be read as written) give NaN or
 * ±Inf here and are refused with {@value #NON_FINITE_OUTPUT}.
 *
 * <p>Stateless and thread-safe.
 */
public final class OutputProbe {
  /** The reason for a model whose probe features are not all finite. */
  public static final String NON_FINITE_OUTPUT = "NON_FINITE_OUTPUT";

  private OutputProbe() {}

  /**
   * The probe image at the network's input size: a uint8 RGB tensor, a smooth pattern over the
   * whole 0–255 range, the same on every call.
   */
  public static ModelInput image(InputSpec spec) {
    int h = spec.height();
    int w = spec.width();
    byte[] data = new byte[h * w * 3];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        for (int c = 0; c < 3; c++) {
          double v = 127.5 + 127.5 * Math.sin(0.37 * (x + 2 * y) + 2.1 * c);
          data[(y * w + x) * 3 + c] = (byte) Math.round(v);
        }
      }
    }
    return new ModelInput.Tensor("uint8", new long[] {h, w, 3}, data);
  }

  /**
   * Refuses {@code model} unless every value of {@code features} is finite.
   *
   * @throws GraftException FAILED_PRECONDITION {@value #NON_FINITE_OUTPUT}
   */
  public static void requireFinite(float[] features, String model) {
    int bad = 0;
    int first = -1;
    for (int i = 0; i < features.length; i++) {
      if (!Float.isFinite(features[i])) {
        bad++;
        first = first < 0 ? i : first;
      }
    }
    if (bad > 0) {
      throw GraftException.failedPrecondition(NON_FINITE_OUTPUT, model + " gives " + bad + " of "
          + features.length + " features that are not finite (feature " + first + " is "
          + features[first] + ") on a fixed probe image: its weights hold NaN or infinite values,"
          + " or values so large that they overflow");
    }
  }
}
