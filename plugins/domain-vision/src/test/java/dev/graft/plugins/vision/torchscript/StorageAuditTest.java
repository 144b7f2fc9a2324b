package dev.graft.plugins.vision.torchscript;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.spi.ErrorKind;
import dev.graft.spi.GraftException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The storage audit on its own (no native code): {@code tiny_cnn.pt} rewritten with a storage
 * record cut short, a tensor view moved past its storage, a storage that declares more elements
 * than its record holds, a record missing. PyTorch's TorchScript loader accepts all of these and
 * reads past the end of the record (the NaN features).
 */
class StorageAuditTest {
  private static final String PICKLE = "tiny_cnn/data.pkl";

  @TempDir Path dir;

  private Path write(Map<String, byte[]> entries) throws IOException {
    Path file = Files.createTempFile(dir, "model", ".torchscript");
    Files.write(file, OperatorAuditTest.zip(entries));
    return file;
  }

  private static Map<String, byte[]> tinyCnn() throws IOException {
    return OperatorAuditTest.entries(OperatorAuditTest.fixture("tiny_cnn.pt"));
  }

  private Refusal refused(Map<String, byte[]> entries) throws IOException {
    Path file = write(entries);
    return assertThrows(Refusal.class, () -> StorageAudit.check(ScriptArchive.read(file)));
  }

  @ParameterizedTest
  @ValueSource(strings = {"tiny_cnn.pt", "tiny_cnn_map.pt", "attack_save.pt"})
  void intactArchivesPass(String name) throws IOException {
    Path file = write(OperatorAuditTest.entries(OperatorAuditTest.fixture(name)));
    assertDoesNotThrow(() -> StorageAudit.check(ScriptArchive.read(file)));
  }

  @Test
  void everyTensorIsFound() throws IOException {
    Map<String, byte[]> entries = tinyCnn();
    ScriptArchive.Entry data = new ScriptArchive.Entry(PICKLE, entries.get(PICKLE));
    long storages = entries.keySet().stream().filter(n -> n.startsWith("tiny_cnn/data/")).count();
    assertEquals(storages, PickleTensors.of(data).stream()
        .map(t -> t.storage().key()).distinct().count());
  }

  @Test
  void aTruncatedStorageIsRefusedBeforePyTorchLoadsTheFile() throws IOException {
    Map<String, byte[]> entries = tinyCnn();
    entries.put("tiny_cnn/data/14", Arrays.copyOf(entries.get("tiny_cnn/data/14"), 64));
    Path file = write(entries);
    GraftException e = assertThrows(GraftException.class,
        () -> OperatorAudit.check(file, "tiny@1"));
    assertEquals(ErrorKind.FAILED_PRECONDITION, e.kind());
    assertEquals(Refusal.STORAGE_TOO_SMALL, e.reason());
    assertTrue(e.getMessage().contains("tiny_cnn/data/14"), e.getMessage());
    assertTrue(e.getMessage().contains("2304 elements of 4 bytes; the record holds 64 bytes"),
        e.getMessage());
    assertFalse(e.getMessage().contains(dir.toString()), e.getMessage());
  }

  @Test
  void everyStorageCutByOneElementIsRefused() throws IOException {
    Map<String, byte[]> intact = tinyCnn();
    for (String name : intact.keySet()) {
      if (!name.startsWith("tiny_cnn/data/")) {
        continue;
      }
      Map<String, byte[]> entries = tinyCnn();
      byte[] bytes = entries.get(name);
      entries.put(name, Arrays.copyOf(bytes, bytes.length - 4));
      Refusal r = refused(entries);
      assertEquals(Refusal.STORAGE_TOO_SMALL, r.reason(), name + ": " + r.getMessage());
      assertTrue(r.getMessage().contains(name), r.getMessage());
    }
  }

  /** The first weight: BINPERSID, BINPUT 14, then its storage offset (BININT1 0). */
  private static final byte[] FIRST_OFFSET = {'Q', 'q', 14, 'K', 0};
  /** Its storage's element count (BININT1 216) closing the persistent id. */
  private static final byte[] FIRST_NUMEL = {'K', (byte) 216, 't', 'Q'};

  private static Map<String, byte[]> patched(byte[] pattern, int at, byte value)
      throws IOException {
    Map<String, byte[]> entries = tinyCnn();
    byte[] pickle = entries.get(PICKLE);
    int i = indexOf(pickle, pattern);
    assertTrue(i > 0, "the fixture's data.pkl changed");
    pickle[i + at] = value;
    return entries;
  }

  @Test
  void aViewPastTheEndOfItsStorageIsRefused() throws IOException {
    Refusal r = refused(patched(FIRST_OFFSET, 4, (byte) 1));
    assertEquals(Refusal.STORAGE_TOO_SMALL, r.reason(), r.getMessage());
    assertTrue(r.getMessage().contains("at offset 1 reads element 216; the record holds 216"),
        r.getMessage());
  }

  @Test
  void aStorageThatClaimsMoreThanItsRecordIsRefused() throws IOException {
    Refusal r = refused(patched(FIRST_NUMEL, 1, (byte) 217));
    assertEquals(Refusal.STORAGE_TOO_SMALL, r.reason(), r.getMessage());
    assertTrue(r.getMessage().contains("declares 217 elements"), r.getMessage());
  }

  @Test
  void aMissingRecordIsRefused() throws IOException {
    Map<String, byte[]> entries = tinyCnn();
    entries.remove("tiny_cnn/data/7");
    Refusal r = refused(entries);
    assertEquals(Refusal.UNSAFE_ARCHIVE, r.reason());
    assertTrue(r.getMessage().contains("tiny_cnn/data/7"), r.getMessage());
  }

  @Test
  void aPickleOfMarksIsRefusedAtTheDepthLimit() throws IOException {
    Map<String, byte[]> entries = tinyCnn();
    byte[] marks = new byte[1 << 20];
    Arrays.fill(marks, (byte) '(');
    marks[0] = (byte) 0x80;
    marks[1] = 2;
    marks[marks.length - 1] = '.';
    entries.put(PICKLE, marks);
    Refusal r = refused(entries);
    assertEquals(Refusal.UNSAFE_ARCHIVE, r.reason());
    assertTrue(r.getMessage().contains("MARKs"), r.getMessage());
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
}
