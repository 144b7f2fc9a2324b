package dev.graft.server.core.store;

import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.graft.server.core.store.StoreVerifier.Problems;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * {@link StoreVerifier}'s checks of {@code datasets/<id>/manifest.json}: it parses and names its
 * folder; the parts are those it records (size and SHA-256). A manifest written before parts were
 * recorded is checked against its total size and, for a single part, its SHA-256 (of all bytes as
 * uploaded, which for one part is the file's). Folders without a manifest are judged by {@link
 * Leftovers}.
 */
final class DatasetChecks {
  private final Path root;
  private final JsonCodec json;
  private final Problems problems;

  DatasetChecks(Path root, JsonCodec json, Problems problems) {
    this.root = root;
    this.json = json;
    this.problems = problems;
  }

  /** Checks every dataset with a manifest; returns how many. */
  int run() throws IOException {
    int checked = 0;
    for (Path dir : FileTrees.children(root.resolve("datasets"))) {
      if (Files.isRegularFile(dir.resolve(ModelStore.MANIFEST))) {
        check(dir);
        checked++;
      }
    }
    return checked;
  }

  private void check(Path dir) throws IOException {
    Path manifest = dir.resolve(ModelStore.MANIFEST);
    DatasetRecord record;
    Optional<Map<String, ManifestFiles.Entry>> files;
    try {
      JsonObject tree = JsonParser.parseString(Files.readString(manifest, StandardCharsets.UTF_8)).getAsJsonObject();
      record = json.fromJson(tree, DatasetRecord.class);
      files = ManifestFiles.read(tree);
    } catch (JsonParseException | NullPointerException | IllegalStateException | UnsupportedOperationException e) {
      problems.add(manifest, "unreadable: " + e.getMessage());
      return;
    }
    if (!record.id().equals(dir.getFileName().toString())) {
      problems.add(manifest, "names dataset " + record.id() + ", but its folder is " + dir.getFileName());
      return;
    }
    if (files.isPresent()) {
      RecordedFiles.check(dir, files.get(), problems);
      return;
    }
    Map<String, Long> present = RecordedFiles.present(dir);
    long total = present.values().stream().mapToLong(Long::longValue).sum();
    if (total != record.sizeBytes()) {
      problems.add(dir, "parts total " + total + " bytes, the manifest records " + record.sizeBytes());
    } else if (present.size() == 1 && !record.sha256().isEmpty()) {
      Path only = dir.resolve(present.keySet().iterator().next());
      String sha = ManifestFiles.sha256(only);
      if (!sha.equals(record.sha256())) {
        problems.add(only, "sha256 " + sha + ", the manifest records " + record.sha256());
      }
    }
  }
}
