package dev.graft.plugins.vision.image;

import dev.graft.spi.GraftException;
import dev.graft.spi.ModelInput;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Iterator;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.event.IIOReadWarningListener;
import javax.imageio.stream.ImageInputStream;

/**
 * Decodes model inputs into {@link Pixels}: encoded PNG, JPEG, BMP or GIF bytes (first frame),
 * or a raw uint8 tensor [H, W] (grey) or [H, W, C] with C = 1, 3 or 4 (alpha dropped). Corrupt,
 * truncated or unsupported data is refused as INVALID_ARGUMENT naming the input; a decoder
 * warning (e.g. a JPEG that ends early) counts as corrupt.
 *
 * <p>Stateless and thread-safe.
 */
public final class ImageDecoder {
  /** The largest image accepted, in pixels (a decompression-bomb guard). */
  public static final long MAX_PIXELS = 50_000_000L;

  /** Creates a decoder. */
  public ImageDecoder() {}

  /**
   * Decodes one input.
   *
   * @param field the input's name in the request ("inputs[3]")
   * @throws GraftException INVALID_ARGUMENT naming {@code field}
   */
  public Pixels decode(ModelInput input, String field) {
    if (input instanceof ModelInput.Image image) {
      return decodeImage(image.encoded(), field);
    }
    if (input instanceof ModelInput.Tensor tensor) {
      return decodeTensor(tensor, field);
    }
    throw GraftException.invalidArgument(field, "UNSUPPORTED_INPUT_KIND", field + " is "
        + (input == null ? "missing" : input.kind().name()) + "; images are IMAGE or uint8 TENSOR");
  }

  private static Pixels decodeImage(byte[] bytes, String field) {
    if (bytes == null || bytes.length == 0) {
      throw bad(field, "EMPTY_IMAGE", field + " holds no image bytes");
    }
    String cut = truncation(bytes);
    if (cut != null) {
      throw bad(field, "CORRUPT_IMAGE", field + " is truncated: " + cut);
    }
    BufferedImage image;
    try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
      Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
      if (!readers.hasNext()) {
        throw bad(field, "UNSUPPORTED_IMAGE_FORMAT",
            field + " is not a PNG, JPEG, BMP or GIF image");
      }
      ImageReader reader = readers.next();
      try {
        reader.setInput(in, true, true);
        long pixels = (long) reader.getWidth(0) * reader.getHeight(0);
        if (pixels > MAX_PIXELS) {
          throw bad(field, "IMAGE_TOO_LARGE", field + " has " + pixels + " pixels; at most "
              + MAX_PIXELS);
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
    if (image == null) {
      throw bad(field, "CORRUPT_IMAGE", field + " could not be decoded");
    }
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

  /**
   * Why the bytes look cut short, or null: a PNG must end with its IEND chunk, a GIF with its
   * trailer (0x3B), a BMP must be as long as its header says. (Decoders tolerate some of these.)
   */
  static String truncation(byte[] b) {
    int n = b.length;
    if (n >= 8 && (b[0] & 0xff) == 0x89 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G') {
      boolean iend = n >= 12 && b[n - 8] == 'I' && b[n - 7] == 'E' && b[n - 6] == 'N'
          && b[n - 5] == 'D';
      return iend ? null : "the PNG does not end with its IEND chunk";
    }
    if (n >= 6 && b[0] == 'G' && b[1] == 'I' && b[2] == 'F') {
      return b[n - 1] == 0x3B ? null : "the GIF does not end with its trailer";
    }
    if (n >= 6 && b[0] == 'B' && b[1] == 'M') {
      long declared = (b[2] & 0xffL) | (b[3] & 0xffL) << 8 | (b[4] & 0xffL) << 16
          | (b[5] & 0xffL) << 24;
      return declared > n ? "the BMP header declares " + declared + " bytes, " + n + " sent"
          : null;
    }
    return null;
  }

  private static Pixels decodeTensor(ModelInput.Tensor tensor, String field) {
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
    if (h < 1 || w < 1 || (c != 1 && c != 3 && c != 4) || h * w > MAX_PIXELS) {
      throw bad(field, "BAD_TENSOR_SHAPE", field + " has shape " + java.util.Arrays.toString(shape)
          + "; need H, W ≥ 1 (at most " + MAX_PIXELS + " pixels) and C in {1, 3, 4}");
    }
    byte[] bytes = tensor.data();
    if (bytes == null || bytes.length != h * w * c) {
      throw bad(field, "BAD_TENSOR_DATA", field + " holds " + (bytes == null ? 0 : bytes.length)
          + " bytes; shape " + java.util.Arrays.toString(shape) + " needs " + h * w * c);
    }
    int channels = c == 1 ? 1 : 3;
    int pixels = (int) (h * w);
    float[] data = new float[pixels * channels];
    for (int p = 0; p < pixels; p++) {
      for (int k = 0; k < channels; k++) {
        data[p * channels + k] = bytes[(int) (p * c + k)] & 0xff;
      }
    }
    return new Pixels((int) h, (int) w, channels, data);
  }

  private static GraftException bad(String field, String reason, String message) {
    return GraftException.invalidArgument(field, reason, message);
  }
}
