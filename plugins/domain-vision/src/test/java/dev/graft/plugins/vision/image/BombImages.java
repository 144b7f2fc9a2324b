package dev.graft.plugins.vision.image;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;

/**
 * Decompression bombs for the tests: images whose encoded bytes are small but whose headers
 * declare huge pixel counts, made without ever holding their pixels, and a way to measure what
 * a piece of code allocates on the heap.
 */
public final class BombImages {
  private BombImages() {}

  /**
   * A valid black RGB PNG of {@code width × height} (a 7000 × 7000 one is about 140 KB), deflated
   * row by row: only one row is ever held.
   */
  public static byte[] solidPng(int width, int height) throws IOException {
    ByteArrayOutputStream idat = new ByteArrayOutputStream();
    try (OutputStream z = new DeflaterOutputStream(idat, new Deflater(9), 1 << 16)) {
      byte[] row = new byte[1 + 3 * width]; // filter byte 0, then black pixels
      for (int y = 0; y < height; y++) {
        z.write(row);
      }
    }
    ByteArrayOutputStream png = new ByteArrayOutputStream();
    png.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a});
    chunk(png, "IHDR", ByteBuffer.allocate(13).putInt(width).putInt(height)
        .put(new byte[] {8, 2, 0, 0, 0}).array());
    chunk(png, "IDAT", idat.toByteArray());
    chunk(png, "IEND", new byte[0]);
    return png.toByteArray();
  }

  private static void chunk(ByteArrayOutputStream out, String type, byte[] data)
      throws IOException {
    byte[] name = type.getBytes(StandardCharsets.US_ASCII);
    out.write(ByteBuffer.allocate(4).putInt(data.length).array());
    out.write(name);
    out.write(data);
    CRC32 crc = new CRC32();
    crc.update(name);
    crc.update(data);
    out.write(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
  }

  /** {@code png} with its IHDR saying {@code width × height} (checksum fixed). */
  public static byte[] pngSized(byte[] png, int width, int height) {
    byte[] b = png.clone();
    ByteBuffer.wrap(b, 16, 8).putInt(width).putInt(height);
    CRC32 crc = new CRC32();
    crc.update(b, 12, 17);
    ByteBuffer.wrap(b, 29, 4).putInt((int) crc.getValue());
    return b;
  }

  /** {@code jpeg} with its SOF0 frame header saying {@code width × height} (at most 65535). */
  public static byte[] jpegSized(byte[] jpeg, int width, int height) {
    byte[] b = jpeg.clone();
    for (int i = 2; i + 9 < b.length; i++) {
      if ((b[i] & 0xff) == 0xff && (b[i + 1] & 0xff) == 0xc0) {
        ByteBuffer.wrap(b, i + 5, 4).putShort((short) height).putShort((short) width);
        return b;
      }
    }
    throw new IllegalArgumentException("no SOF0 marker");
  }

  /** {@code image} as an 8-bit palette BMP, run-length encoded (BI_RLE8). */
  public static byte[] rle8Bmp(java.awt.image.BufferedImage image) throws IOException {
    java.awt.image.BufferedImage indexed = new java.awt.image.BufferedImage(image.getWidth(),
        image.getHeight(), java.awt.image.BufferedImage.TYPE_BYTE_INDEXED);
    indexed.getGraphics().drawImage(image, 0, 0, null);
    javax.imageio.ImageWriter writer = javax.imageio.ImageIO.getImageWritersByFormatName("bmp")
        .next();
    javax.imageio.ImageWriteParam param = writer.getDefaultWriteParam();
    param.setCompressionMode(javax.imageio.ImageWriteParam.MODE_EXPLICIT);
    param.setCompressionType("BI_RLE8");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (javax.imageio.stream.ImageOutputStream ios =
        javax.imageio.ImageIO.createImageOutputStream(out)) {
      writer.setOutput(ios);
      writer.write(null, new javax.imageio.IIOImage(indexed, null, null), param);
    } finally {
      writer.dispose();
    }
    return out.toByteArray();
  }

  /** {@code bmp} with its info header saying {@code width × height}. */
  public static byte[] bmpSized(byte[] bmp, int width, int height) {
    byte[] b = bmp.clone();
    ByteBuffer.wrap(b, 18, 8).order(ByteOrder.LITTLE_ENDIAN).putInt(width).putInt(height);
    return b;
  }

  /**
   * {@code gif} (one frame, no global colour table, as ImageIO writes it) with its screen and
   * first frame saying {@code width × height} (at most 65535).
   */
  public static byte[] gifSized(byte[] gif, int width, int height) {
    byte[] b = gif.clone();
    ByteBuffer.wrap(b, 6, 4).order(ByteOrder.LITTLE_ENDIAN).putShort((short) width)
        .putShort((short) height);
    int at = firstImageDescriptor(b);
    ByteBuffer.wrap(b, at + 5, 4).order(ByteOrder.LITTLE_ENDIAN).putShort((short) width)
        .putShort((short) height);
    return b;
  }

  /**
   * {@code gif} with a second frame of {@code width × height} (a 1-pixel LZW stream) appended
   * before the trailer.
   */
  public static byte[] gifWithSecondFrame(byte[] gif, int width, int height) {
    byte[] frame = ByteBuffer.allocate(17).order(ByteOrder.LITTLE_ENDIAN)
        .put((byte) 0x2c).putShort((short) 0).putShort((short) 0)
        .putShort((short) width).putShort((short) height)
        .put((byte) 0x80) // a local colour table of 2 entries
        .array();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(gif, 0, gif.length - 1);
    out.write(frame, 0, 10);
    out.write(new byte[] {0, 0, 0, (byte) 255, (byte) 255, (byte) 255}, 0, 6);
    out.write(new byte[] {2, 2, 0x44, 0x01, 0}, 0, 5); // LZW size 2: clear, 0, end
    out.write(0x3b);
    return out.toByteArray();
  }

  private static int firstImageDescriptor(byte[] b) {
    int at = 13;
    if ((b[10] & 0x80) != 0) {
      at += 3 * (1 << ((b[10] & 7) + 1));
    }
    while (b[at] == 0x21) { // extension blocks: label, then sub-blocks up to a 0
      at += 2;
      while (b[at] != 0) {
        at += (b[at] & 0xff) + 1;
      }
      at++;
    }
    if (b[at] != 0x2c) {
      throw new IllegalArgumentException("no image descriptor at " + at + ": "
          + Arrays.toString(Arrays.copyOfRange(b, at, at + 4)));
    }
    return at;
  }

  /** The bytes this thread allocates on the heap while {@code r} runs. */
  public static long allocatedBy(Runnable r) {
    com.sun.management.ThreadMXBean mx =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long before = mx.getCurrentThreadAllocatedBytes();
    r.run();
    return mx.getCurrentThreadAllocatedBytes() - before;
  }
}
