package dev.graft.plugins.vision.image;

import dev.graft.spi.GraftException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Iterator;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * What an encoded image's header says, read without decoding a pixel: its format (told by its
 * magic bytes: PNG, JPEG, GIF or BMP; nothing else is handed to a decoder) and the size of the
 * image that would be decoded (for a GIF, its first frame — the only one ever decoded). Reading
 * it refuses empty, truncated and unknown bytes (INVALID_ARGUMENT) and an image over
 * {@link ImageLimits#MAX_IMAGE_PIXELS} (RESOURCE_EXHAUSTED), naming the input.
 *
 * @param format the ImageIO format name ("png", "jpeg", "gif", "bmp")
 * @param width the width in pixels
 * @param height the height in pixels
 */
public record ImageHeader(String format, int width, int height) {

  /** The number of pixels. */
  public long pixels() {
    return (long) width * height;
  }

  /**
   * Reads the header of {@code bytes}.
   *
   * @param field the input's name in the request ("inputs[3]")
   * @throws GraftException INVALID_ARGUMENT (EMPTY_IMAGE, UNSUPPORTED_IMAGE_FORMAT,
   *     CORRUPT_IMAGE) or RESOURCE_EXHAUSTED (IMAGE_TOO_LARGE), naming {@code field}
   */
  public static ImageHeader read(byte[] bytes, String field) {
    if (bytes == null || bytes.length == 0) {
      throw bad(field, "EMPTY_IMAGE", field + " holds no image bytes");
    }
    String format = format(bytes);
    if (format == null) {
      throw bad(field, "UNSUPPORTED_IMAGE_FORMAT", field + " is not a PNG, JPEG, BMP or GIF image");
    }
    String cut = truncation(bytes);
    if (cut != null) {
      throw bad(field, "CORRUPT_IMAGE", field + " is truncated: " + cut);
    }
    int width;
    int height;
    try (ImageInputStream in = stream(bytes)) {
      ImageReader reader = reader(format);
      try {
        reader.setInput(in, true, true);
        width = reader.getWidth(0);
        height = reader.getHeight(0);
      } finally {
        reader.dispose();
      }
    } catch (IOException | RuntimeException e) {
      throw bad(field, "CORRUPT_IMAGE", field + " has an unreadable " + format.toUpperCase(
          java.util.Locale.ROOT) + " header: " + (e.getMessage() == null
              ? e.getClass().getSimpleName() : e.getMessage()));
    }
    if (width < 1 || height < 1) {
      throw bad(field, "CORRUPT_IMAGE", field + " declares a " + width + " × " + height + " image");
    }
    ImageLimits.checkImage(width, height, field);
    return new ImageHeader(format, width, height);
  }

  /** The format that {@code b}'s magic bytes announce, or null for anything else. */
  static String format(byte[] b) {
    int n = b.length;
    if (n >= 8 && (b[0] & 0xff) == 0x89 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G'
        && b[4] == 0x0d && b[5] == 0x0a && b[6] == 0x1a && b[7] == 0x0a) {
      return "png";
    }
    if (n >= 3 && (b[0] & 0xff) == 0xff && (b[1] & 0xff) == 0xd8 && (b[2] & 0xff) == 0xff) {
      return "jpeg";
    }
    if (n >= 6 && b[0] == 'G' && b[1] == 'I' && b[2] == 'F' && b[3] == '8'
        && (b[4] == '7' || b[4] == '9') && b[5] == 'a') {
      return "gif";
    }
    if (n >= 6 && b[0] == 'B' && b[1] == 'M') {
      return "bmp";
    }
    return null;
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

  /** An in-memory stream over {@code bytes} (never a temporary file, as ImageIO's cache may be). */
  static ImageInputStream stream(byte[] bytes) {
    return new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes));
  }

  /** A fresh reader of the JDK for {@code format}; the caller disposes of it. */
  static ImageReader reader(String format) {
    Iterator<ImageReader> readers = ImageIO.getImageReadersByFormatName(format);
    if (!readers.hasNext()) {
      throw new IllegalStateException("this JDK has no " + format + " reader");
    }
    return readers.next();
  }

  private static GraftException bad(String field, String reason, String message) {
    return GraftException.invalidArgument(field, reason, message);
  }
}
