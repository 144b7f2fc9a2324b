package dev.graft.plugins.vision.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.graft.spi.ErrorKind;
import dev.graft.spi.GraftException;
import dev.graft.spi.ModelInput;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import javax.imageio.ImageIO;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class ImageDecoderTest {
  private final ImageDecoder decoder = new ImageDecoder();

  /** A 6×4 RGB image: red ramps with x, green with y, blue constant 200. */
  static BufferedImage rgb() {
    BufferedImage img = new BufferedImage(6, 4, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < 4; y++) {
      for (int x = 0; x < 6; x++) {
        img.setRGB(x, y, (x * 40) << 16 | (y * 60) << 8 | 200);
      }
    }
    return img;
  }

  static byte[] encode(BufferedImage img, String format) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    if (!ImageIO.write(img, format, out)) {
      throw new IllegalStateException("no writer for " + format);
    }
    return out.toByteArray();
  }

  @ParameterizedTest
  @ValueSource(strings = {"png", "bmp", "gif", "jpeg"})
  void decodesEveryFormat(String format) throws Exception {
    Pixels p = decoder.decode(new ModelInput.Image(encode(rgb(), format)), "inputs[0]");
    assertEquals(4, p.height());
    assertEquals(6, p.width());
    assertEquals(3, p.channels());
    BufferedImage reference = ImageIO.read(new java.io.ByteArrayInputStream(encode(rgb(), format)));
    for (int y = 0; y < 4; y++) {
      for (int x = 0; x < 6; x++) {
        int rgb = reference.getRGB(x, y);
        assertEquals((rgb >> 16) & 0xff, p.at(y, x, 0));
        assertEquals((rgb >> 8) & 0xff, p.at(y, x, 1));
        assertEquals(rgb & 0xff, p.at(y, x, 2));
      }
    }
    if (format.equals("png") || format.equals("bmp")) { // lossless
      assertEquals(5 * 40, p.at(0, 5, 0));
      assertEquals(3 * 60, p.at(3, 0, 1));
      assertEquals(200, p.at(2, 2, 2));
    }
  }

  /** Translucent RGBA and 16-bit RGB PNGs give the RGB that getRGB gives (alpha dropped). */
  @ParameterizedTest
  @ValueSource(ints = {BufferedImage.TYPE_INT_ARGB, BufferedImage.TYPE_4BYTE_ABGR,
      BufferedImage.TYPE_3BYTE_BGR, BufferedImage.TYPE_USHORT_565_RGB})
  void otherLayoutsGiveWhatGetRgbGives(int type) throws Exception {
    BufferedImage img = new BufferedImage(6, 4, type);
    for (int y = 0; y < 4; y++) {
      for (int x = 0; x < 6; x++) {
        img.setRGB(x, y, (x * 40 + 10) << 24 | (x * 40) << 16 | (y * 60) << 8 | (x + y) * 25);
      }
    }
    byte[] png = encode(img, "png");
    Pixels p = decoder.decode(new ModelInput.Image(png), "inputs[0]");
    BufferedImage reference = ImageIO.read(new java.io.ByteArrayInputStream(png));
    assertEquals(3, p.channels());
    for (int y = 0; y < 4; y++) {
      for (int x = 0; x < 6; x++) {
        int rgb = reference.getRGB(x, y);
        assertEquals((rgb >> 16) & 0xff, p.at(y, x, 0));
        assertEquals((rgb >> 8) & 0xff, p.at(y, x, 1));
        assertEquals(rgb & 0xff, p.at(y, x, 2));
      }
    }
  }

  @Test
  void sixteenBitGreyKeepsItsLevels() throws Exception {
    BufferedImage grey = new BufferedImage(3, 2, BufferedImage.TYPE_USHORT_GRAY);
    grey.getRaster().setSample(1, 1, 0, 1000);
    grey.getRaster().setSample(2, 0, 0, 65535);
    Pixels p = decoder.decode(new ModelInput.Image(encode(grey, "png")), "inputs[0]");
    assertEquals(1, p.channels());
    assertEquals(1000 / 257f, p.at(1, 1, 0));
    assertEquals(255f, p.at(0, 2, 0));
  }

  @Test
  void greyPngStaysOneChannel() throws Exception {
    BufferedImage grey = new BufferedImage(3, 2, BufferedImage.TYPE_BYTE_GRAY);
    grey.getRaster().setSample(1, 1, 0, 77);
    Pixels p = decoder.decode(new ModelInput.Image(encode(grey, "png")), "inputs[0]");
    assertEquals(1, p.channels());
    assertEquals(77, p.at(1, 1, 0));
  }

  @Test
  void tensorsOfOneThreeAndFourChannels() {
    Pixels grey = decoder.decode(new ModelInput.Tensor("uint8", new long[] {2, 2},
        new byte[] {0, 10, 20, (byte) 255}), "inputs[0]");
    assertEquals(1, grey.channels());
    assertArrayEquals(new float[] {0, 10, 20, 255}, grey.data());
    Pixels rgba = decoder.decode(new ModelInput.Tensor("uint8", new long[] {1, 2, 4},
        new byte[] {1, 2, 3, 4, 5, 6, 7, 8}), "inputs[0]");
    assertEquals(3, rgba.channels());
    assertArrayEquals(new float[] {1, 2, 3, 5, 6, 7}, rgba.data());
  }

  private void assertRefused(ModelInput input, String reason) {
    GraftException e = assertThrows(GraftException.class, () -> decoder.decode(input, "inputs[2]"));
    assertEquals(ErrorKind.INVALID_ARGUMENT, e.kind());
    assertEquals("inputs[2]", e.field());
    assertEquals(reason, e.reason(), e.getMessage());
  }

  @Test
  void corruptAndTruncatedImagesAreRefusedWithTheirIndex() throws Exception {
    assertRefused(new ModelInput.Image("not an image at all".getBytes()),
        "UNSUPPORTED_IMAGE_FORMAT");
    assertRefused(new ModelInput.Image(new byte[0]), "EMPTY_IMAGE");
    for (String format : new String[] {"png", "jpeg", "bmp", "gif"}) {
      byte[] whole = encode(rgb(), format);
      byte[] cut = Arrays.copyOf(whole, whole.length / 2);
      GraftException e = assertThrows(GraftException.class,
          () -> decoder.decode(new ModelInput.Image(cut), "inputs[2]"), format);
      assertEquals(ErrorKind.INVALID_ARGUMENT, e.kind(), format);
      assertEquals("inputs[2]", e.field(), format);
    }
    for (String format : new String[] {"png", "gif", "bmp"}) {
      byte[] whole = encode(rgb(), format);
      assertRefused(new ModelInput.Image(Arrays.copyOf(whole, whole.length - 3)), "CORRUPT_IMAGE");
    }
    byte[] png = encode(rgb(), "png");
    for (int i = 40; i < png.length - 12; i++) {
      png[i] ^= 0x5a; // garble the image data (checksums then fail)
    }
    assertRefused(new ModelInput.Image(png), "CORRUPT_IMAGE");
  }

  @Test
  void badTensorsAreRefused() {
    assertRefused(new ModelInput.Tensor("float32", new long[] {2, 2}, new byte[16]),
        "UNSUPPORTED_TENSOR_DTYPE");
    assertRefused(new ModelInput.Tensor("uint8", new long[] {2, 2, 2}, new byte[8]),
        "BAD_TENSOR_SHAPE");
    assertRefused(new ModelInput.Tensor("uint8", new long[] {2, 2}, new byte[3]),
        "BAD_TENSOR_DATA");
    assertRefused(new ModelInput.Text("a cat"), "UNSUPPORTED_INPUT_KIND");
  }
}
