package dev.graft.spi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Saving and loading named weights: round trip, and refusing another network's file whole. */
class ParameterFileTest {

  @Test
  void roundTripsAndRefusesAForeignFileWithoutChangingAnything() throws Exception {
    try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
      List<Map.Entry<String, NDArray>> saved = List.of(
          Map.entry("stem/w", m.create(new float[] {1, 2, 3, 4}).reshape(2, 2)),
          Map.entry("head/b", m.create(new float[] {-0.5f})));
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ParameterFile.write(out, "test/1", saved);

      List<Map.Entry<String, NDArray>> target = List.of(
          Map.entry("stem/w", m.zeros(new Shape(2, 2))),
          Map.entry("head/b", m.zeros(new Shape(1))));
      ParameterFile.read(new ByteArrayInputStream(out.toByteArray()), "test/1", target, "net");
      assertArrayEquals(new float[] {1, 2, 3, 4}, target.get(0).getValue().toFloatArray());
      assertArrayEquals(new float[] {-0.5f}, target.get(1).getValue().toFloatArray());

      GraftException tag = assertThrows(GraftException.class, () -> ParameterFile.read(
          new ByteArrayInputStream(out.toByteArray()), "other/1", target, "net"));
      assertEquals("CORRUPT_WEIGHTS", tag.reason());
      assertEquals(ErrorKind.FAILED_PRECONDITION, tag.kind());

      // Same names, but the second array has another size: the first must stay untouched.
      List<Map.Entry<String, NDArray>> other = List.of(
          Map.entry("stem/w", m.create(new float[] {9, 9, 9, 9}).reshape(2, 2)),
          Map.entry("head/b", m.create(new float[] {7, 7})));
      ByteArrayOutputStream foreign = new ByteArrayOutputStream();
      ParameterFile.write(foreign, "test/1", other);
      GraftException size = assertThrows(GraftException.class, () -> ParameterFile.read(
          new ByteArrayInputStream(foreign.toByteArray()), "test/1", target, "net"));
      assertTrue(size.getMessage().contains("expected head/b with 1 values, found head/b with 2"),
          size.getMessage());
      assertArrayEquals(new float[] {1, 2, 3, 4}, target.get(0).getValue().toFloatArray());
    }
  }
}
