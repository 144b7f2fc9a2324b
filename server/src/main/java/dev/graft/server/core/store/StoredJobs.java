package dev.graft.server.core.store;

import com.google.gson.JsonParseException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;

/** Reads job records for {@link StoreVerifier}'s checks. Stateless. */
final class StoredJobs {
  private StoredJobs() {}

  /** The job file of {@code id} under {@code root}. */
  static Path file(Path root, String id) {
    return root.resolve("jobs").resolve(id + ".json");
  }

  /**
   * The job in {@code file}; empty if the file does not exist.
   *
   * @throws IOException when it cannot be read or parsed (the message says why)
   */
  static Optional<LocalJobStore.Stored> read(JsonCodec json, Path file) throws IOException {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
    try {
      return Optional.of(LocalJobStore.parse(json, text));
    } catch (JsonParseException | NullPointerException | IllegalStateException e) {
      throw new IOException("unreadable job record: " + e.getMessage(), e);
    }
  }
}
