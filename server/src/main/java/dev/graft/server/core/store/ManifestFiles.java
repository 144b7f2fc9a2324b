package dev.graft.server.core.store;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The {@code "files"} property of a model or dataset manifest: every file of the folder (path
 * relative to it, '/'-separated) with its size and SHA-256, so that a store can be checked
 * ({@link StoreVerifier}). It sits beside the record's own fields in the JSON, like a job's
 * owner: readers that do not know it ignore it, and manifests written before it existed simply
 * lack it. Stateless helpers; thread-safe.
 */
public final class ManifestFiles {
  static final String PROPERTY = "files";

  /** One file: its size in bytes and its hex SHA-256. */
  public record Entry(long size, String sha256) {}

  private ManifestFiles() {}

  /** Size and SHA-256 of every regular file under {@code dir}, except a top-level manifest.json. */
  static Map<String, Entry> of(Path dir) throws IOException {
    Map<String, Entry> out = new TreeMap<>();
    Files.walkFileTree(dir, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        String name = relative(dir, file);
        if (attrs.isRegularFile() && !name.equals(ModelStore.MANIFEST)) {
          out.put(name, new Entry(attrs.size(), sha256(file)));
        }
        return FileVisitResult.CONTINUE;
      }
    });
    return out;
  }

  /** The manifest JSON of {@code record} with {@code files} added. */
  static byte[] manifest(JsonCodec json, Object record, Map<String, Entry> files) {
    JsonObject tree = json.toJsonTree(record).getAsJsonObject();
    JsonObject list = new JsonObject();
    files.forEach((name, e) -> {
      JsonObject entry = new JsonObject();
      entry.addProperty("size", e.size());
      entry.addProperty("sha256", e.sha256());
      list.add(name, entry);
    });
    tree.add(PROPERTY, list);
    return json.toJson(tree).getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }

  /**
   * The files a manifest records; empty when it has none (written before they were recorded).
   *
   * @throws IllegalStateException when the property is malformed
   */
  static Optional<Map<String, Entry>> read(JsonObject manifest) {
    JsonElement files = manifest.get(PROPERTY);
    if (files == null || files.isJsonNull()) {
      return Optional.empty();
    }
    Map<String, Entry> out = new TreeMap<>();
    for (Map.Entry<String, JsonElement> e : files.getAsJsonObject().entrySet()) {
      JsonObject entry = e.getValue().getAsJsonObject();
      out.put(e.getKey(), new Entry(entry.get("size").getAsLong(), entry.get("sha256").getAsString()));
    }
    return Optional.of(out);
  }

  /** The hex SHA-256 of a file's content. */
  static String sha256(Path file) throws IOException {
    MessageDigest digest = newDigest();
    byte[] buf = new byte[1 << 16];
    try (InputStream in = Files.newInputStream(file)) {
      for (int n; (n = in.read(buf)) > 0; ) {
        digest.update(buf, 0, n);
      }
    }
    return HexFormat.of().formatHex(digest.digest());
  }

  static MessageDigest newDigest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JVM", e);
    }
  }

  /** {@code file} relative to {@code dir}, with '/' separators. */
  static String relative(Path dir, Path file) {
    return dir.relativize(file).toString().replace(file.getFileSystem().getSeparator(), "/");
  }
}
