package dev.graft.plugins.vision;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.graft.plugins.vision.image.BombImages;
import dev.graft.plugins.vision.image.ImageDecoder;
import dev.graft.plugins.vision.image.ImageLimits;
import dev.graft.plugins.vision.image.InputSpec;
import dev.graft.plugins.vision.image.Pixels;
import dev.graft.plugins.vision.image.Preprocessor;
import dev.graft.spi.ErrorKind;
import dev.graft.spi.GraftException;
import dev.graft.spi.ModelInput;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bombs against the paths every backbone and trainable copy use: {@link ImageBatches} (checks the
 * whole call's pixels before decoding, then decodes one image at a time) and the domain's
 * {@link VisionDomain#validate}, which refuses what is no image, or too large, before a request
 * or job is queued, without decoding anything.
 */
class InputBombTest {
  private static final InputSpec SPEC = new InputSpec(32, 3, 1, 1f / 255, new float[3],
      new float[] {1, 1, 1});
  private static byte[] big;

  @TempDir Path noAssets;

  @BeforeAll
  static void makeTheBomb() throws Exception {
    big = BombImages.solidPng(7000, 7000);
  }

  @Test
  void theIssuesThirtyTwoPngsAreRefusedBeforeOneIsDecoded() {
    List<ModelInput> inputs = new ArrayList<>(Collections.nCopies(32, new ModelInput.Image(big)));
    try (NDManager manager = NDManager.newBaseManager(ConvertedTrainable.ENGINE)) {
      ImageBatches batches = new ImageBatches(SPEC);
      GraftException[] e = new GraftException[1];
      long allocated = BombImages.allocatedBy(() -> e[0] = assertThrows(GraftException.class,
          () -> batches.array(manager, inputs, 0, null)));
      assertEquals(ErrorKind.RESOURCE_EXHAUSTED, e[0].kind());
      assertEquals(ImageLimits.REQUEST_TOO_LARGE, e[0].reason());
      assertEquals("inputs[4]", e[0].field());
      assertTrue(allocated < 32L << 20, "allocated " + (allocated >> 20) + " MB");
    }
  }

  @Test
  void batchesAreTheDecodedImagesPreprocessed() throws Exception {
    List<ModelInput> inputs = List.of(VisionDomainTest.png(1), VisionDomainTest.greyTensor(),
        VisionDomainTest.png(2));
    ImageDecoder decoder = new ImageDecoder();
    List<Pixels> decoded = new ArrayList<>();
    for (ModelInput input : inputs) {
      decoded.add(decoder.decode(input, "inputs[0]"));
    }
    float[] expected = new Preprocessor(SPEC).batch(decoded, null, null);
    try (NDManager manager = NDManager.newBaseManager(ConvertedTrainable.ENGINE)) {
      float[] got = new ImageBatches(SPEC).array(manager, inputs, 0, null).toFloatArray();
      assertArrayEquals(expected, got);
    }
  }

  private void assertInvalid(ModelInput input, String reason) {
    GraftException e = assertThrows(GraftException.class,
        () -> new VisionDomain(noAssets).validate(input, "train.examples[3].input"));
    assertEquals(ErrorKind.INVALID_ARGUMENT, e.kind(), e.getMessage());
    assertEquals(reason, e.reason(), e.getMessage());
    assertEquals("train.examples[3].input", e.field());
  }

  @Test
  void validateRefusesBytesThatAreNoImage() throws Exception {
    assertInvalid(new ModelInput.Image(new byte[] {0, 0, 2, 2, 0, 0}), // a 2x2 WBMP to ImageIO
        "UNSUPPORTED_IMAGE_FORMAT");
    assertInvalid(new ModelInput.Image(new byte[] {'I', 'I', 42, 0, 8, 0, 0, 0}), // TIFF
        "UNSUPPORTED_IMAGE_FORMAT");
    assertInvalid(new ModelInput.Image("{\"label\": \"cat\"}".getBytes(StandardCharsets.UTF_8)),
        "UNSUPPORTED_IMAGE_FORMAT");
    assertInvalid(new ModelInput.Image(new byte[0]), "EMPTY_IMAGE");
    byte[] png = ((ModelInput.Image) VisionDomainTest.png(1)).encoded();
    assertInvalid(new ModelInput.Image(Arrays.copyOf(png, png.length - 20)), "CORRUPT_IMAGE");
    byte[] garbled = png.clone();
    Arrays.fill(garbled, 16, 29, (byte) 0xff); // IHDR garbled: no valid size
    assertInvalid(new ModelInput.Image(garbled), "CORRUPT_IMAGE");
    assertInvalid(new ModelInput.Tensor("uint8", new long[] {28, 28, 2}, new byte[28 * 28 * 2]),
        "BAD_TENSOR_SHAPE"); // IDX images with 2 channels
  }

  @Test
  void validateReadsHeadersOnly() throws Exception {
    VisionDomain domain = new VisionDomain(noAssets);
    long allocated = BombImages.allocatedBy(
        () -> domain.validate(new ModelInput.Image(big), "inputs[0]"));
    assertTrue(allocated < 16L << 20, "allocated " + (allocated >> 20) + " MB");
    GraftException e = assertThrows(GraftException.class, () -> domain.validate(
        new ModelInput.Image(BombImages.pngSized(big, 60_000, 60_000)), "inputs[2]"));
    assertEquals(ErrorKind.RESOURCE_EXHAUSTED, e.kind());
    assertEquals(ImageLimits.IMAGE_TOO_LARGE, e.reason());
    assertEquals("inputs[2]", e.field());
    domain.validate(VisionDomainTest.png(1), "inputs[0]");
    domain.validate(VisionDomainTest.greyTensor(), "inputs[0]");
  }
}
