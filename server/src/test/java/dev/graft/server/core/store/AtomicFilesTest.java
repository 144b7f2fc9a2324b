package dev.graft.server.core.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
  @TempDir Path dir;

  @Test
  void writeReplacesContentAndLeavesNoTemporaryFile() throws IOException {
    Path target = dir.resolve("a.json");
    AtomicFiles.write(target, "one".getBytes(StandardCharsets.UTF_8));
    AtomicFiles.write(target, "two".getBytes(StandardCharsets.UTF_8));
    assertEquals("two", Files.readString(target));
    assertEquals(List.of("a.json"), names(dir));
  }

  @Test
  void publishMovesTheWholeFolderInOneStep() throws IOException {
    Path staged = dir.resolve("staged");
    Files.createDirectories(staged.resolve("sub"));
    Files.write(staged.resolve("weights.bin"), new byte[] {1, 2, 3});
    Files.writeString(staged.resolve("sub/x.txt"), "x");
    Path target = dir.resolve("models/m/1");

    AtomicFiles.publishDirectory(staged, target);

    assertFalse(Files.exists(staged));
    assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(target.resolve("weights.bin")));
    assertEquals("x", Files.readString(target.resolve("sub/x.txt")));
  }

  @Test
  void publishRefusesAnExistingTargetAndKeepsBothIntact() throws IOException {
    Path target = dir.resolve("target");
    Files.createDirectories(target);
    Files.writeString(target.resolve("old.txt"), "old");
    Path staged = dir.resolve("staged");
    Files.createDirectories(staged);
    Files.writeString(staged.resolve("new.txt"), "new");

    assertThrows(FileAlreadyExistsException.class, () -> AtomicFiles.publishDirectory(staged, target));

    assertEquals(List.of("old.txt"), names(target));
    assertEquals(List.of("new.txt"), names(staged));
  }

  @Test
  void publishRefusesEvenAnEmptyExistingTarget() throws IOException {
    // rename(2) would silently replace an empty folder; the exclusive claim must not.
    Path target = dir.resolve("target");
    Files.createDirectories(target);
    Path staged = dir.resolve("staged");
    Files.createDirectories(staged);
    Files.writeString(staged.resolve("f"), "f");

    assertThrows(FileAlreadyExistsException.class, () -> AtomicFiles.publishDirectory(staged, target));
    assertTrue(Files.exists(staged.resolve("f")));
    assertEquals(List.of(), names(target));
  }

  @Test
  void temporaryFilesNameTheirOwnerWhenGiven() {
    String owner = "0123456789abcdef";
    String owned = ".job-1.json.3f2b8c1e-0d4a-4b8e-9c3f-1a2b3c4d5e6f." + owner + ".tmp";
    String anonymous = ".job-1.json.3f2b8c1e-0d4a-4b8e-9c3f-1a2b3c4d5e6f.tmp";
    assertTrue(AtomicFiles.isTemp(owned) && AtomicFiles.isTemp(anonymous));
    assertEquals(java.util.Optional.of(owner), AtomicFiles.tempOwner(owned));
    assertEquals(java.util.Optional.empty(), AtomicFiles.tempOwner(anonymous), "'json' is no owner");
    for (String other : List.of("job-1.json", ".notes.tmp", "model.tmp", ".x.not-a-uuid.abc.tmp")) {
      assertFalse(AtomicFiles.isTemp(other), other);
    }
  }

  @Test
  void anOwnedWriteThatFailsLeavesNoTemporaryFile() throws IOException {
    Path target = dir.resolve("a.json");
    Files.createDirectories(target.resolve("child")); // a non-empty folder: the rename fails
    assertThrows(IOException.class, () -> AtomicFiles.write(target, new byte[] {1}, "abc123"));
    assertEquals(List.of("a.json"), names(dir));
    AtomicFiles.write(dir.resolve("b.json"), new byte[] {2}, "abc123");
    assertEquals(List.of("a.json", "b.json"), names(dir));
  }

  static List<String> names(Path folder) throws IOException {
    try (Stream<Path> s = Files.list(folder)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
