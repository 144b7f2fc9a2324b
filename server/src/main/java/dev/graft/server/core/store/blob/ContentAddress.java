package dev.graft.server.core.store.blob;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Content addressing: the SHA-256 of a file and the key layout {@code
 * blobs/sha256/<first 2 hex>/<64 hex>}. The two-digit fan-out keeps listings of one "folder"
 * short on stores that list hierarchically and spreads keys for S3's per-prefix request rates.
 * Stateless and thread-safe.
 */
public final class ContentAddress {
  /** The prefix of every content-addressed key. */
  public static final String PREFIX = "blobs/sha256/";

  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
  private static final Pattern KEY = Pattern.compile("blobs/sha256/([0-9a-f]{2})/([0-9a-f]{64})");
  private static final int BUFFER = 1 << 16;

  private ContentAddress() {}

  /** Whether {@code text} is a SHA-256 in lowercase hex. */
  public static boolean isSha256(String text) {
    return text != null && SHA256.matcher(text).matches();
  }

  /** The key of the blob with this SHA-256. */
  public static String key(String sha256) {
    if (!isSha256(sha256)) {
      throw new IllegalArgumentException("not a SHA-256 (64 lowercase hex digits): " + sha256);
    }
    return PREFIX + sha256.substring(0, 2) + "/" + sha256;
  }

  /** The SHA-256 a content-addressed key names, or empty for any other key. */
  public static Optional<String> sha256Of(String key) {
    var m = KEY.matcher(key);
    if (m.matches() && m.group(2).startsWith(m.group(1))) {
      return Optional.of(m.group(2));
    }
    return Optional.empty();
  }

  /** Whether {@code key} is a content-addressed key. */
  public static boolean isKey(String key) {
    return sha256Of(key).isPresent();
  }

  /** The SHA-256 of a file's content, streamed; I/O failures are INTERNAL {@code BLOB_IO}. */
  public static String sha256(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      MessageDigest digest = newDigest();
      byte[] buffer = new byte[BUFFER];
      for (int n; (n = in.read(buffer)) > 0; ) {
        digest.update(buffer, 0, n);
      }
      return HexFormat.of().formatHex(digest.digest());
    } catch (IOException e) {
      throw BlobErrors.io("cannot read " + file, e);
    }
  }

  /** The reference (SHA-256 and size) of a local file. */
  public static BlobRef ref(Path file) {
    try {
      long size = Files.size(file);
      String sha = sha256(file);
      return new BlobRef(sha, size);
    } catch (IOException e) {
      throw BlobErrors.io("cannot read " + file, e);
    }
  }

  static MessageDigest newDigest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }
}
