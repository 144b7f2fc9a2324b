package dev.graft.server.api.oip;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.protobuf.ByteString;
import dev.graft.api.oip.v2.InferTensorContents;
import dev.graft.api.oip.v2.ModelInferRequest;
import dev.graft.api.oip.v2.ModelInferRequest.InferInputTensor;
import dev.graft.api.v1.Input;
import dev.graft.spi.GraftException;
import dev.graft.spi.InputKind;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Image tensors in both forms, and what an image model refuses. */
class OipTensorsTest {
  private static final Set<InputKind> VISION = Set.of(InputKind.IMAGE, InputKind.TENSOR);

  @Test
  void encodedImagesAreOneInputPerRow() {
    InferTensorContents.Builder c = InferTensorContents.newBuilder()
        .addBytesContents(ByteString.copyFrom(new byte[] {(byte) 0x89, 'P', 'N', 'G'}))
        .addBytesContents(ByteString.copyFrom(new byte[] {(byte) 0xff, (byte) 0xd8, (byte) 0xff}));
    List<Input> inputs = OipTensors.inputs(request(InferInputTensor.newBuilder().setName("image").setDatatype("BYTES")
        .addShape(2).setContents(c).build()), VISION);
    assertEquals(2, inputs.size());
    assertEquals(c.getBytesContents(1), inputs.get(1).getImage().getEncoded());
  }

  @Test
  void uint8PixelsAreOneHeightWidthChannelsTensorPerRow() {
    byte[] pixels = new byte[2 * 2 * 3 * 3];
    for (int i = 0; i < pixels.length; i++) {
      pixels[i] = (byte) i;
    }
    ModelInferRequest r = ModelInferRequest.newBuilder().addInputs(InferInputTensor.newBuilder().setName("image")
        .setDatatype("UINT8").addShape(2).addShape(2).addShape(3).addShape(3)).addRawInputContents(ByteString
        .copyFrom(pixels)).build();
    List<Input> inputs = OipTensors.inputs(r, VISION);
    assertEquals(2, inputs.size());
    assertEquals(List.of(2L, 3L, 3L), inputs.get(1).getTensor().getShapeList());
    byte[] second = new byte[18];
    System.arraycopy(pixels, 18, second, 0, 18);
    assertArrayEquals(second, inputs.get(1).getTensor().getData().toByteArray());
  }

  @Test
  void anImageModelRefusesTextAndBadPixels() {
    assertEquals("UNKNOWN_INPUT", assertThrows(GraftException.class, () -> OipTensors.inputs(request(
        InferInputTensor.newBuilder().setName("text").setDatatype("BYTES").addShape(0).build()), VISION)).reason());
    assertEquals("INVALID_SHAPE", assertThrows(GraftException.class, () -> OipTensors.inputs(request(
        InferInputTensor.newBuilder().setName("image").setDatatype("UINT8").addShape(1).addShape(4)
            .setContents(InferTensorContents.newBuilder().addUintContents(1).addUintContents(2).addUintContents(3)
                .addUintContents(4)).build()), VISION)).reason());
    assertEquals("VALUE_OUT_OF_RANGE", assertThrows(GraftException.class, () -> OipTensors.inputs(request(
        InferInputTensor.newBuilder().setName("image").setDatatype("UINT8").addShape(1).addShape(1).addShape(1)
            .addShape(1).setContents(InferTensorContents.newBuilder().addUintContents(256)).build()), VISION))
        .reason());
  }

  @Test
  void emptyInnerDimensionsAndHugeBatchesAreRefusedBeforeAnyRowIsMade() {
    Set<InputKind> series = Set.of(InputKind.SERIES);
    assertEquals("INVALID_SHAPE", assertThrows(GraftException.class, () -> OipTensors.inputs(request(
        InferInputTensor.newBuilder().setName("series").setDatatype("FP32").addShape(1000).addShape(0)
            .build()), series)).reason());
    assertEquals("TENSOR_TOO_LARGE", assertThrows(GraftException.class, () -> OipTensors.inputs(request(
        InferInputTensor.newBuilder().setName("series").setDatatype("FP32").addShape(50_000_000).addShape(0)
            .build()), series)).reason());
    assertEquals("TENSOR_TOO_LARGE", assertThrows(GraftException.class, () -> OipTensors.inputs(request(
        InferInputTensor.newBuilder().setName("series").setDatatype("FP32").addShape(1L << 31).addShape(1).build()),
        series)).reason());
    assertEquals(0, OipTensors.inputs(request(InferInputTensor.newBuilder().setName("series").setDatatype("FP32")
        .addShape(0).addShape(8).build()), series).size(), "an empty batch is a batch (Inferencer refuses it)");
  }

  private static ModelInferRequest request(InferInputTensor tensor) {
    return ModelInferRequest.newBuilder().addInputs(tensor).build();
  }
}
