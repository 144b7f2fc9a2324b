package dev.graft.plugins.vision.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.spi.ErrorKind;
import dev.graft.spi.GraftException;
import dev.graft.spi.ModelInput;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The decoder's bounds, checked from headers and shapes before anything is decoded: per image
 * (each format's header patched to declare a huge image) and per call (the 32 PNGs of
 * 7000 × 7000, 4.6 MB in all). "Not decoded" is measured as the heap this thread allocates:
 * decoding one 7000 × 7000 image allocates over 700 MB (its raster and its float pixels).
 */
class ImageLimitsTest {
  private static final long LITTLE = 32L << 20;
  private static byte[] big;
  private final ImageDecoder decoder = new ImageDecoder();

  @BeforeAll
  static void makeTheBomb() throws Exception {
    big = BombImages.solidPng(7000, 7000);
    assertTrue(big.length < 200_000, "a solid 7000 x 7000 PNG is small: " + big.length);
  }

  private static GraftException exhausted(Runnable r, String reason, String field) {
    GraftException[] caught = new GraftException[1];
    long allocated = BombImages.allocatedBy(
        () -> caught[0] = assertThrows(GraftException.class, r::run));
    GraftException e = caught[0];
    assertEquals(ErrorKind.RESOURCE_EXHAUSTED, e.kind(), e.getMessage());
    assertEquals(reason, e.reason(), e.getMessage());
    assertEquals(field, e.field());
    assertTrue(allocated < LITTLE, "refused after allocating " + (allocated >> 20) + " MB");
    return e;
  }

  @Test
  void aCallOfThirtyTwoHugePngsIsRefusedFromTheirHeadersBeforeAnyIsDecoded() {
    List<ModelInput> inputs = new ArrayList<>(Collections.nCopies(32, new ModelInput.Image(big)));
    GraftException e = exhausted(() -> PixelBudget.check(inputs, 0),
        ImageLimits.REQUEST_TOO_LARGE, "inputs[4]");
    assertTrue(e.getMessage().contains("245,000,000 pixels"), e.getMessage());
    assertTrue(e.getMessage().contains("at most 200,000,000"), e.getMessage());
    assertEquals(196_000_000L, PixelBudget.check(inputs.subList(0, 4), 0));
    exhausted(() -> PixelBudget.check(inputs.subList(0, 8), 30),
        ImageLimits.REQUEST_TOO_LARGE, "inputs[34]");
  }

  @Test
  void oneHugeImageIsRefusedInEveryFormatFromItsHeader() throws Exception {
    byte[] png = ImageDecoderTest.encode(ImageDecoderTest.rgb(), "png");
    byte[] jpeg = ImageDecoderTest.encode(ImageDecoderTest.rgb(), "jpeg");
    byte[] gif = ImageDecoderTest.encode(ImageDecoderTest.rgb(), "gif");
    byte[] rle = BombImages.rle8Bmp(ImageDecoderTest.rgb());
    for (byte[] bomb : List.of(BombImages.pngSized(png, 100_000, 100_000),
        BombImages.pngSized(png, Integer.MAX_VALUE, 1),
        BombImages.jpegSized(jpeg, 65_000, 65_000), BombImages.gifSized(gif, 65_000, 65_000),
        BombImages.bmpSized(rle, 10_000, 10_000))) {
      GraftException e = exhausted(() -> decoder.decode(new ModelInput.Image(bomb), "inputs[7]"),
          ImageLimits.IMAGE_TOO_LARGE, "inputs[7]");
      assertTrue(e.getMessage().contains("at most 50,000,000 pixels"), e.getMessage());
    }
  }

  /** An uncompressed BMP cannot claim more pixels than it holds: refused as corrupt, undecoded. */
  @Test
  void anUncompressedBmpClaimingMorePixelsIsCorrupt() throws Exception {
    byte[] bmp = ImageDecoderTest.encode(ImageDecoderTest.rgb(), "bmp");
    byte[] bomb = BombImages.bmpSized(bmp, 100_000, 100_000);
    long allocated = BombImages.allocatedBy(() -> {
      GraftException e = assertThrows(GraftException.class,
          () -> decoder.decode(new ModelInput.Image(bomb), "inputs[7]"));
      assertEquals("CORRUPT_IMAGE", e.reason(), e.getMessage());
    });
    assertTrue(allocated < LITTLE, "allocated " + (allocated >> 20) + " MB");
  }

  @Test
  void rleBmpsDecode() throws Exception {
    Pixels p = decoder.decode(new ModelInput.Image(BombImages.rle8Bmp(ImageDecoderTest.rgb())),
        "inputs[0]");
    assertEquals(6, p.width());
    assertEquals(4, p.height());
  }

  @Test
  void theHeaderIsTheSizeTheDecoderUses() throws Exception {
    ImageHeader header = ImageHeader.read(big, "inputs[0]");
    assertEquals(new ImageHeader("png", 7000, 7000), header);
    byte[] gif = ImageDecoderTest.encode(ImageDecoderTest.rgb(), "gif");
    assertEquals(new ImageHeader("gif", 6, 4), ImageHeader.read(gif, "inputs[0]"));
  }

  @Test
  void onlyTheFirstFrameOfAGifIsRead() throws Exception {
    byte[] gif = ImageDecoderTest.encode(ImageDecoderTest.rgb(), "gif");
    byte[] animated = BombImages.gifWithSecondFrame(gif, 65_000, 65_000);
    Pixels[] p = new Pixels[1];
    long allocated = BombImages.allocatedBy(
        () -> p[0] = decoder.decode(new ModelInput.Image(animated), "inputs[0]"));
    assertEquals(6, p[0].width());
    assertEquals(4, p[0].height());
    assertTrue(allocated < LITTLE, "allocated " + (allocated >> 20) + " MB");
  }

  @Test
  void tensorShapesCannotOverflowTheChecks() {
    exhausted(() -> decoder.decode(new ModelInput.Tensor("uint8",
        new long[] {1L << 32, 1L << 32}, new byte[0]), "inputs[1]"),
        ImageLimits.IMAGE_TOO_LARGE, "inputs[1]");
    exhausted(() -> decoder.decode(new ModelInput.Tensor("uint8",
        new long[] {1L << 40, 1L << 40, 3}, new byte[0]), "inputs[1]"),
        ImageLimits.IMAGE_TOO_LARGE, "inputs[1]");
    exhausted(() -> decoder.decode(new ModelInput.Tensor("uint8",
        new long[] {60_000, 1_000}, new byte[0]), "inputs[1]"),
        ImageLimits.IMAGE_TOO_LARGE, "inputs[1]");
    GraftException e = assertThrows(GraftException.class, () -> decoder.decode(
        new ModelInput.Tensor("uint8", new long[] {Long.MIN_VALUE, 2}, new byte[0]), "inputs[1]"));
    assertEquals("BAD_TENSOR_SHAPE", e.reason());
  }

  @Test
  void tensorsCountTowardsTheCallsBudgetLikeImages() {
    ModelInput grey = new ModelInput.Tensor("uint8", new long[] {7000, 7000}, new byte[49_000_000]);
    List<ModelInput> inputs = List.of(new ModelInput.Image(big), grey, grey, grey, grey);
    exhausted(() -> PixelBudget.check(inputs, 0), ImageLimits.REQUEST_TOO_LARGE, "inputs[4]");
  }
}
