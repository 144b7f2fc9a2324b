package dev.graft.plugins.vision.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.graft.spi.ErrorKind;
import dev.graft.spi.GraftException;
import dev.graft.spi.ModelInput;

/**
 * Fuzz targets for image decoding (docs/fuzzing.md). Contract of {@link ImageDecoder#decode}:
 * pixels of the size the header declares, or a {@link GraftException} INVALID_ARGUMENT (corrupt,
 * truncated, unsupported) or RESOURCE_EXHAUSTED (over {@link ImageLimits#MAX_IMAGE_PIXELS}).
 * Anything else — an exception of ImageIO escaping, an OutOfMemoryError under the fuzz heap, a
 * hang — is a finding. The heap of a fuzz run must still hold the largest image the limits
 * allow (50 M pixels: about 1 GB for a 16-bit RGBA PNG while decoding), see scripts/fuzz.
 */
class ImageDecoderFuzzTest {
  private static final ImageDecoder DECODER = new ImageDecoder();

  /** Encoded bytes (PNG, JPEG, GIF, BMP or anything else), as an Image input. */
  @FuzzTest(maxDuration = "10s")
  void decode(byte[] data) {
    try {
      Pixels p = DECODER.decode(new ModelInput.Image(data), "inputs[0]");
      ImageHeader h = ImageHeader.read(data, "inputs[0]");
      assertEquals(h.height(), p.height());
      assertEquals(h.width(), p.width());
    } catch (GraftException e) {
      expected(e);
    }
  }

  /** A raw tensor input: dtype, shape and bytes chosen by the fuzzer. */
  @FuzzTest(maxDuration = "10s")
  void tensor(FuzzedDataProvider data) {
    String dtype = data.pickValue(new String[] {"uint8", "UINT8", "float32", ""});
    long[] shape = new long[data.consumeInt(0, 4)];
    for (int i = 0; i < shape.length; i++) {
      shape[i] = data.consumeBoolean() ? data.consumeLong() : data.consumeLong(-1, 64);
    }
    byte[] bytes = data.consumeRemainingAsBytes();
    try {
      Pixels p = DECODER.decode(new ModelInput.Tensor(dtype, shape, bytes), "inputs[0]");
      assertTrue(p.height() >= 1 && p.width() >= 1);
    } catch (GraftException e) {
      expected(e);
    }
  }

  private static void expected(GraftException e) {
    assertTrue(e.kind() == ErrorKind.INVALID_ARGUMENT || e.kind() == ErrorKind.RESOURCE_EXHAUSTED,
        e.kind() + " " + e.reason() + ": " + e.getMessage());
    assertEquals("inputs[0]", e.field(), e.getMessage());
  }
}
