package dev.graft.plugins.vision.image;

import dev.graft.spi.GraftException;
import dev.graft.spi.ModelInput;
import java.awt.image.BufferedImage;
import java.io.IOException;
import javax.imageio.ImageReader;
import javax.imageio.event.IIOReadWarningListener;
import javax.imageio.stream.ImageInputStream;

/**
 * Decodes model inputs into {@link Pixels}: encoded PNG, JPEG, BMP or GIF bytes (first frame),
 * or a raw uint8 tensor [H, W] (grey) or [H, W, C] with C = 1, 3 or 4 (alpha dropped). The
 * header (or the tensor's shape) is checked first ({@link ImageHeader}, {@link TensorShape}):
 * nothing over {@link ImageLimits#MAX_IMAGE_PIXELS} is decoded. Corrupt, truncated or
 * unsupported data is refused as INVALID_ARGUMENT naming the input; a decoder warning (e.g. a
 * JPEG that ends early) counts as corrupt.
 *
 * <p>Stateless and thread-safe.
 */
public final class ImageDecoder {
  /** Creates a decoder. */
  public ImageDecoder() {}

  /**
   * Decodes one input.
   *
   * @param field the input's name in the request ("inputs[3]")
   * @throws GraftException INVALID_ARGUMENT, or RESOURCE_EXHAUSTED IMAGE_TOO_LARGE, naming
   *     {@code field}
   */
  public Pixels decode(ModelInput input, String field) {
    if (input instanceof ModelInput.Image image) {
      return decodeImage(image.encoded(), field);
    }
    if (input instanceof ModelInput.Tensor tensor) {
      return decodeTensor(tensor, field);
    }
    throw PixelBudget.notAnImage(input, field);
  }

  private static Pixels decodeImage(byte[] bytes, String field) {
    ImageHeader header = ImageHeader.read(bytes, field);
    BufferedImage image;
    try (ImageInputStream in = ImageHeader.stream(bytes)) {
      ImageReader reader = ImageHeader.reader(header.format());
      try {
        reader.setInput(in, true, true);
        if (reader.getWidth(0) != header.width() || reader.getHeight(0) != header.height()) {
          throw bad(field, "CORRUPT_IMAGE", field + " changes size between reads");
        }
        StringBuilder warnings = new StringBuilder();
        IIOReadWarningListener listener = (source, warning) -> warnings.append(warning);
        reader.addIIOReadWarningListener(listener);
        image = reader.read(0);
        if (warnings.length() > 0) {
          throw bad(field, "CORRUPT_IMAGE", field + " is damaged: " + warnings);
        }
      } finally {
        reader.dispose();
      }
    } catch (GraftException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      throw bad(field, "CORRUPT_IMAGE", field + " could not be decoded (corrupt or truncated "
          + "image): " + e.getMessage());
    }
    if (image == null || image.getWidth() != header.width()
        || image.getHeight() != header.height()) {
      throw bad(field, "CORRUPT_IMAGE", field + " could not be decoded");
    }
    return pixels(image);
  }

  /** The image's values: raw grey levels for 8- and 16-bit grey, else sRGB from getRGB. */
  private static Pixels pixels(BufferedImage image) {
    int w = image.getWidth();
    int h = image.getHeight();
    boolean grey = image.getColorModel().getNumColorComponents() == 1;
    int channels = grey ? 1 : 3;
    float[] data = new float[h * w * channels];
    int bits = image.getRaster().getSampleModel().getSampleSize(0);
    if (grey && image.getRaster().getNumBands() == 1 && (bits == 8 || bits == 16)) {
      // Raw grey levels (getRGB would apply a gamma conversion to grey images).
      float div = bits == 16 ? 257f : 1f;
      for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
          data[y * w + x] = image.getRaster().getSample(x, y, 0) / div;
        }
      }
      return new Pixels(h, w, 1, data);
    }
    int[] row = new int[w];
    for (int y = 0; y < h; y++) {
      image.getRGB(0, y, w, 1, row, 0, w);
      for (int x = 0; x < w; x++) {
        int rgb = row[x];
        int at = (y * w + x) * channels;
        if (grey) {
          data[at] = rgb & 0xff;
        } else {
          data[at] = (rgb >> 16) & 0xff;
          data[at + 1] = (rgb >> 8) & 0xff;
          data[at + 2] = rgb & 0xff;
        }
      }
    }
    return new Pixels(h, w, channels, data);
  }

  private static Pixels decodeTensor(ModelInput.Tensor tensor, String field) {
    TensorShape shape = TensorShape.of(tensor, field);
    byte[] bytes = tensor.data();
    int c = shape.channels();
    int channels = c == 1 ? 1 : 3;
    int pixels = (int) shape.pixels();
    float[] data = new float[pixels * channels];
    for (int p = 0; p < pixels; p++) {
      for (int k = 0; k < channels; k++) {
        data[p * channels + k] = bytes[p * c + k] & 0xff;
      }
    }
    return new Pixels(shape.height(), shape.width(), channels, data);
  }

  private static GraftException bad(String field, String reason, String message) {
    return GraftException.invalidArgument(field, reason, message);
  }
}
