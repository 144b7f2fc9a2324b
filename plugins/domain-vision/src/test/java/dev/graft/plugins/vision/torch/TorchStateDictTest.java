package dev.graft.plugins.vision.torch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** Reads the files make_fixtures.py wrote with torch 2.7.1, in both torch.save formats. */
class TorchStateDictTest {
  static Path resource(String name) throws Exception {
    return Path.of(TorchStateDictTest.class.getResource("/torch/" + name).toURI());
  }

  @ParameterizedTest
  @ValueSource(strings = {"small-legacy.pt", "small-zip.pt"})
  void readsBothFormats(String file) throws Exception {
    Map<String, TorchTensor> sd = TorchStateDict.read(resource(file));
    assertEquals(List.of("w", "b", "n", "ids", "s"), List.copyOf(sd.keySet()));
    assertArrayEquals(new long[] {2, 3}, sd.get("w").shape());
    assertArrayEquals(new float[] {-1f, -0.5f, 0f, 0.5f, 1f, 1.5f}, sd.get("w").floats());
    assertArrayEquals(new float[] {4f, 5f, 6f}, sd.get("b").floats());
    assertArrayEquals(new float[] {1f, 2f, 3f}, sd.get("s").floats());
    assertArrayEquals(new long[] {}, sd.get("n").shape());
    assertArrayEquals(new long[] {42}, sd.get("n").longs());
    assertArrayEquals(new long[] {1, -2, 3, 1L << 40}, sd.get("ids").longs());
    assertTrue(sd.get("w").isFloat());
    assertEquals(6, sd.get("w").size());
  }

  @Test
  void copiesStridedViewsInRowMajorOrder() throws Exception {
    TorchTensor t = TorchStateDict.read(resource("strided.pt")).get("t");
    assertArrayEquals(new long[] {3, 2}, t.shape());
    assertArrayEquals(new float[] {0f, 3f, 1f, 4f, 2f, 5f}, t.floats());
  }

  @Test
  void refusesOtherGlobals() {
    byte[] pickle = "\u0080\u0002cos\nsystem\n.".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
    TorchFormatException e = assertThrows(TorchFormatException.class,
        () -> new PickleMachine(new ByteArrayInputStream(pickle)).load());
    assertTrue(e.getMessage().contains("os.system"), e.getMessage());
  }

  @Test
  void refusesContainersAsKeysInsteadOfHashingThem() {
    // {}; [] memoised; the list appended to itself; then dict[list] = list.
    byte[] pickle = {(byte) 0x80, 2, '}', ']', 'q', 0, 'h', 0, 'a', 'h', 0, 's', '.'};
    TorchFormatException e = assertThrows(TorchFormatException.class,
        () -> new PickleMachine(new ByteArrayInputStream(pickle)).load());
    assertTrue(e.getMessage().contains("a dict key is a ArrayList"), e.getMessage());
  }

  @Test
  void refusesUnknownOpcodes() {
    byte[] pickle = {(byte) 0x80, 2, (byte) 0x93, '.'}; // STACK_GLOBAL (protocol 4)
    TorchFormatException e = assertThrows(TorchFormatException.class,
        () -> new PickleMachine(new ByteArrayInputStream(pickle)).load());
    assertTrue(e.getMessage().contains("0x93"), e.getMessage());
  }

  @Test
  void refusesAStorageLargerThanTheFileBeforeAllocatingIt(@TempDir Path dir) throws Exception {
    byte[] bytes = Files.readAllBytes(resource("small-legacy.pt"));
    // The storage of "w": an int64 element count (6), then -1.0f, -0.5f, ...
    byte[] header = {6, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0x80, (byte) 0xbf};
    int at = indexOf(bytes, header);
    assertTrue(at > 0, "fixture layout");
    java.nio.ByteBuffer.wrap(bytes, at, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN)
        .putLong(1L << 40);
    Path f = dir.resolve("huge.pt");
    Files.write(f, bytes);
    TorchFormatException e = assertThrows(TorchFormatException.class, () -> TorchStateDict.read(f));
    assertTrue(e.getMessage().contains("more than the file holds"), e.getMessage());
  }

  private static int indexOf(byte[] data, byte[] pattern) {
    outer:
    for (int i = 0; i + pattern.length <= data.length; i++) {
      for (int j = 0; j < pattern.length; j++) {
        if (data[i + j] != pattern[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  @Test
  void refusesFilesThatAreNotTorch(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("x.pt");
    Files.writeString(f, "hello world");
    assertThrows(TorchFormatException.class, () -> TorchStateDict.read(f));
  }
}
