package dev.graft.server.core.store;

import dev.graft.server.core.store.StoreVerifier.Problems;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Map;
import java.util.TreeMap;

/**
 * Compares a folder with the files its manifest records ({@link ManifestFiles}), for {@link
 * StoreVerifier}. Stateless.
 */
final class RecordedFiles {
  private RecordedFiles() {}

  /** Reports each recorded file that is missing or differs in size or SHA-256, and each file not recorded. */
  static void check(Path dir, Map<String, ManifestFiles.Entry> recorded, Problems problems) throws IOException {
    Map<String, Long> present = present(dir);
    for (Map.Entry<String, ManifestFiles.Entry> e : recorded.entrySet()) {
      Path file = dir.resolve(e.getKey()).normalize();
      ManifestFiles.Entry want = e.getValue();
      Long size = present.remove(e.getKey());
      if (!file.startsWith(dir) || size == null) {
        problems.add(file, "missing (the manifest records " + want.size() + " bytes)");
      } else if (size != want.size()) {
        problems.add(file, size + " bytes, the manifest records " + want.size());
      } else {
        String sha = ManifestFiles.sha256(file);
        if (!sha.equals(want.sha256())) {
          problems.add(file, "sha256 " + sha + ", the manifest records " + want.sha256());
        }
      }
    }
    present.keySet().forEach(name -> problems.add(dir.resolve(name), "not in the manifest"));
  }

  /**
   * Every regular file under {@code dir} with its size, by '/'-separated relative path, except the
   * top-level manifest and temporary files (those are judged as leftovers).
   */
  static Map<String, Long> present(Path dir) throws IOException {
    Map<String, Long> out = new TreeMap<>();
    Files.walkFileTree(dir, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
        String name = ManifestFiles.relative(dir, file);
        if (!name.equals(ModelStore.MANIFEST) && !AtomicFiles.isTemp(file.getFileName().toString())) {
          out.put(name, Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS) ? attrs.size() : -1L);
        }
        return FileVisitResult.CONTINUE;
      }
    });
    return out;
  }
}
