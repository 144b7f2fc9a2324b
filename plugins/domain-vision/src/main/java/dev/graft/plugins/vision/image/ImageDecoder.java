package dev.graft.plugins.vision.image;

import dev.graft.spi.GraftException;
import dev.graft.spi.ModelInput;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.Raster;
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

  /**
   * The image's values: raw grey levels for 8- and 16-bit grey, else sRGB from getRGB; one byte
   * a value except for 16-bit grey.
   */
  private static Pixels pixels(BufferedImage image) {
    int w = image.getWidth();
    int h = image.getHeight();
    boolean grey = image.getColorModel().getNumColorComponents() == 1;
    int channels = grey ? 1 : 3;
    int bits = image.getRaster().getSampleModel().getSampleSize(0);
    if (grey && image.getRaster().getNumBands() == 1 && (bits == 8 || bits == 16)) {
      // Raw grey levels (getRGB would apply a gamma conversion to grey images).
      int[] row = new int[w];
      if (bits == 16) {
        float[] data = new float[h * w];
        for (int y = 0; y < h; y++) {
          image.getRaster().getSamples(0, y, w, 1, 0, row);
          for (int x = 0; x < w; x++) {
            data[y * w + x] = row[x] / 257f;
          }
        }
        return new Pixels(h, w, 1, data);
      }
      byte[] data = new byte[h * w];
      for (int y = 0; y < h; y++) {
        image.getRaster().getSamples(0, y, w, 1, 0, row);
        for (int x = 0; x < w; x++) {
          data[y * w + x] = (byte) row[x];
        }
      }
      return Pixels.ofBytes(h, w, 1, data);
    }
    byte[] data = new byte[h * w * channels];
    if (!grey && isPlainRgb(image)) {
      // The samples are the sRGB values getRGB would return, read without converting each pixel.
      Raster raster = image.getRaster();
      int bands = raster.getNumBands();
      int[] samples = new int[w * bands];
      for (int y = 0; y < h; y++) {
        raster.getPixels(0, y, w, 1, samples);
        for (int x = 0; x < w; x++) {
          for (int k = 0; k < 3; k++) {
            data[(y * w + x) * 3 + k] = (byte) samples[x * bands + k];
          }
        }
      }
      return Pixels.ofBytes(h, w, 3, data);
    }
    int[] row = new int[w];
    for (int y = 0; y < h; y++) {
      image.getRGB(0, y, w, 1, row, 0, w);
      for (int x = 0; x < w; x++) {
        int rgb = row[x];
        int at = (y * w + x) * channels;
        if (grey) {
          data[at] = (byte) rgb;
        } else {
          data[at] = (byte) (rgb >> 16);
          data[at + 1] = (byte) (rgb >> 8);
          data[at + 2] = (byte) rgb;
        }
      }
    }
    return Pixels.ofBytes(h, w, channels, data);
  }

  /**
   * Whether the image's raster holds 8-bit sRGB samples, red, green and blue first (then,
   * unpremultiplied, alpha): PNG, JPEG and most BMPs decode to that.
   */
  private static boolean isPlainRgb(BufferedImage image) {
    ColorModel cm = image.getColorModel();
    if (!(cm instanceof ComponentColorModel) || !cm.getColorSpace().isCS_sRGB()
        || cm.isAlphaPremultiplied() || cm.getNumColorComponents() != 3
        || image.getRaster().getNumBands() != cm.getNumComponents()) {
      return false;
    }
    for (int size : cm.getComponentSize()) {
      if (size != 8) {
        return false;
      }
    }
    return image.getRaster().getTransferType() == DataBuffer.TYPE_BYTE;
  }

  /** The tensor's bytes as they are (grey, RGB), or without their alpha (RGBA). */
  private static Pixels decodeTensor(ModelInput.Tensor tensor, String field) {
    TensorShape shape = TensorShape.of(tensor, field);
    byte[] bytes = tensor.data();
    if (shape.channels() != 4) {
      return Pixels.ofBytes(shape.height(), shape.width(), shape.channels(), bytes);
    }
    int pixels = (int) shape.pixels();
    byte[] data = new byte[pixels * 3];
    for (int p = 0; p < pixels; p++) {
      System.arraycopy(bytes, p * 4, data, p * 3, 3);
    }
    return Pixels.ofBytes(shape.height(), shape.width(), 3, data);
  }

  private static GraftException bad(String field, String reason, String message) {
    return GraftException.invalidArgument(field, reason, message);
  }
}
