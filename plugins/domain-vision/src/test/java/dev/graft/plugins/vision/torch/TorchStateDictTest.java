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

  private static TorchFormatException refusedPickle(byte[] pickle) {
    TorchFormatException e = assertThrows(TorchFormatException.class,
        () -> new PickleMachine(new ByteArrayInputStream(pickle)).load());
    assertEquals(PickleBudget.REASON, e.reason(), e.getMessage());
    return e;
  }

  /** PROTO 2, then {@code body} repeated {@code times}, then STOP. */
  private static byte[] pickle(byte[] body, int times) {
    byte[] p = new byte[2 + body.length * times + 1];
    p[0] = (byte) 0x80;
    p[1] = 2;
    for (int i = 0; i < times; i++) {
      System.arraycopy(body, 0, p, 2 + i * body.length, body.length);
    }
    p[p.length - 1] = '.';
    return p;
  }

  @Test
  void aMegabyteOfMarksIsRefusedAtTheDepthLimit() {
    TorchFormatException e = refusedPickle(pickle(new byte[] {'('}, 1 << 20));
    assertTrue(e.getMessage().contains("more than " + PickleBudget.MAX_MARK_DEPTH + " MARKs"),
        e.getMessage());
  }

  @Test
  void stackMemoAndAllocationAreBounded() {
    assertTrue(refusedPickle(pickle(new byte[] {'K', 7}, PickleBudget.MAX_STACK + 1))
        .getMessage().contains("on its stack"));
    byte[] memo = new byte[3 + 5 * (PickleBudget.MAX_MEMO + 1)];
    memo[0] = (byte) 0x80;
    memo[1] = 2;
    memo[2] = ']';
    for (int i = 0; i <= PickleBudget.MAX_MEMO; i++) { // LONG_BINPUT i
      java.nio.ByteBuffer.wrap(memo, 3 + 5 * i, 5).order(java.nio.ByteOrder.LITTLE_ENDIAN)
          .put((byte) 'r').putInt(i);
    }
    assertTrue(refusedPickle(memo).getMessage().contains("memoises"));
    // [] then {} appended to it, again and again: a list of a million empty dicts.
    byte[] pairs = pickle(new byte[] {'}', 'a'}, 2_000_000);
    byte[] dicts = new byte[pairs.length + 1];
    System.arraycopy(pairs, 0, dicts, 0, 2);
    dicts[2] = ']';
    System.arraycopy(pairs, 2, dicts, 3, pairs.length - 2);
    assertTrue(refusedPickle(dicts).getMessage().contains("MiB of values"));
  }

  /**
   * The file, scaled down: a torch zip whose data.pkl inflates to 256 MiB of MARK opcodes
   * (the 1 MB file inflates to 1 GiB; it used to run for a minute and end in
   * OutOfMemoryError).
   */
  @Test
  void aCompressedDataPklOfMarksIsRefusedWithinAFewKilobytes(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("marks.pt");
    try (java.util.zip.ZipOutputStream z = new java.util.zip.ZipOutputStream(
        Files.newOutputStream(file))) {
      z.setLevel(1);
      z.putNextEntry(new java.util.zip.ZipEntry("archive/data.pkl"));
      z.write(new byte[] {(byte) 0x80, 2});
      byte[] marks = new byte[1 << 20];
      java.util.Arrays.fill(marks, (byte) '(');
      for (int i = 0; i < 256; i++) {
        z.write(marks);
      }
      z.closeEntry();
    }
    assertTrue(Files.size(file) < 2 << 20, "fixture size " + Files.size(file));
    TorchFormatException[] e = new TorchFormatException[1];
    long allocated = dev.graft.plugins.vision.image.BombImages.allocatedBy(() -> e[0] =
        assertThrows(TorchFormatException.class, () -> TorchStateDict.read(file)));
    assertEquals(PickleBudget.REASON, e[0].reason(), e[0].getMessage());
    assertTrue(allocated < 32L << 20, "allocated " + (allocated >> 20) + " MB");
    assertTrue(!e[0].getMessage().contains(dir.toString()), e[0].getMessage());
    // Opened as a model (ImportModel's probe): FAILED_PRECONDITION with the reason, no path.
    Files.move(file, dir.resolve("model.torch-state-dict"));
    dev.graft.spi.GraftException g = assertThrows(dev.graft.spi.GraftException.class,
        () -> new dev.graft.plugins.vision.VisionDomain(dir).openBackbone(
            new dev.graft.spi.BaseModel("marks@1", dir, "torch-state-dict",
                Map.of("architecture", "efficientnet-lite0")), ai.djl.Device.cpu()));
    assertEquals(dev.graft.spi.ErrorKind.FAILED_PRECONDITION, g.kind());
    assertEquals(PickleBudget.REASON, g.reason(), g.getMessage());
    assertTrue(!g.getMessage().contains(dir.toString()), g.getMessage());
  }
}
