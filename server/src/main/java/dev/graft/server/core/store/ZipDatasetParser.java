package dev.graft.server.core.store;

import dev.graft.spi.Example;
import dev.graft.spi.GraftException;
import dev.graft.spi.ModelInput;
import dev.graft.spi.Target;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * ZIP datasets of images in one folder per label ({@code cat/001.png}, {@code dog/a.jpg}, or the
 * same under one top folder): one unnamed part, the archive. Every {@code .png}, {@code .jpg},
 * {@code .jpeg}, {@code .bmp} or {@code .gif} entry becomes a {@link ModelInput.Image} labelled
 * with the name of the folder that holds it; other files, folders, hidden entries and
 * {@code __MACOSX/} are skipped. Examples come in entry-name order. An entry is at most
 * {@value #MAX_ENTRY_BYTES} bytes and the archive {@value #MAX_TOTAL_BYTES} bytes uncompressed.
 *
 * <p>Errors are INVALID_ARGUMENT with reason INVALID_DATASET_RECORD: field {@code data} for an
 * archive that cannot be read or holds no image, field {@code data[entry NAME]} for an image at
 * the archive's root (no label), too large, or whose bytes are not the format its name says.
 * Stateless and thread-safe.
 */
public final class ZipDatasetParser implements DatasetParser {
  static final long MAX_ENTRY_BYTES = 64L << 20;
  static final long MAX_TOTAL_BYTES = 4L << 30;
  private static final Set<String> IMAGES = Set.of("png", "jpg", "jpeg", "bmp", "gif");

  @Override
  public List<Example> parse(Map<String, Path> parts, DatasetSpecRecord spec) {
    RecordErrors.onlyParts(parts, Set.of(""), "ZIP");
    Path file = parts.get("");
    if (file == null) {
      return List.of();
    }
    try (ZipFile zip = new ZipFile(file.toFile())) {
      List<ZipEntry> entries = new ArrayList<>(Collections.list(zip.entries()));
      entries.sort((a, b) -> a.getName().compareTo(b.getName()));
      List<Example> out = new ArrayList<>();
      long total = 0;
      for (ZipEntry entry : entries) {
        String name = entry.getName();
        String ext = extension(name);
        if (entry.isDirectory() || hidden(name) || !IMAGES.contains(ext)) {
          continue;
        }
        String[] path = name.split("/");
        if (path.length < 2 || path[path.length - 2].isBlank()) {
          throw bad(name, "is not in a folder; put each image in a folder named after its label");
        }
        byte[] bytes = read(zip, entry);
        total += bytes.length;
        if (total > MAX_TOTAL_BYTES) {
          throw GraftException.invalidArgument("data", RecordErrors.INVALID_DATASET_RECORD,
              "the archive holds more than " + MAX_TOTAL_BYTES + " bytes of images");
        }
        if (!matches(ext, bytes)) {
          throw bad(name, "is not a " + ext.toUpperCase(Locale.ROOT) + " image");
        }
        out.add(new Example(new ModelInput.Image(bytes), new Target.Label(path[path.length - 2])));
      }
      if (out.isEmpty()) {
        throw GraftException.invalidArgument("data", RecordErrors.INVALID_DATASET_RECORD,
            "the archive holds no images (.png, .jpg, .jpeg, .bmp, .gif) in label folders");
      }
      return out;
    } catch (ZipException e) {
      throw GraftException.invalidArgument("data", RecordErrors.INVALID_DATASET_RECORD,
          "not a readable ZIP archive: " + e.getMessage());
    } catch (IOException e) {
      throw RecordErrors.io(e);
    }
  }

  private static byte[] read(ZipFile zip, ZipEntry entry) throws IOException {
    try (InputStream in = zip.getInputStream(entry)) {
      byte[] bytes = in.readNBytes((int) MAX_ENTRY_BYTES + 1);
      if (bytes.length > MAX_ENTRY_BYTES) {
        throw bad(entry.getName(), "is larger than " + MAX_ENTRY_BYTES + " bytes");
      }
      return bytes;
    } catch (ZipException e) {
      throw bad(entry.getName(), "cannot be read: " + e.getMessage());
    }
  }

  private static boolean hidden(String name) {
    if (name.startsWith("__MACOSX/")) {
      return true;
    }
    for (String part : name.split("/")) {
      if (part.startsWith(".")) {
        return true;
      }
    }
    return false;
  }

  private static String extension(String name) {
    int dot = name.lastIndexOf('.');
    return dot < 0 || dot < name.lastIndexOf('/') ? ""
        : name.substring(dot + 1).toLowerCase(Locale.ROOT);
  }

  /** Whether the bytes start as the format's files do. */
  private static boolean matches(String ext, byte[] b) {
    return switch (ext) {
      case "png" -> b.length > 8 && (b[0] & 0xff) == 0x89 && b[1] == 'P' && b[2] == 'N'
          && b[3] == 'G';
      case "jpg", "jpeg" -> b.length > 3 && (b[0] & 0xff) == 0xff && (b[1] & 0xff) == 0xd8;
      case "bmp" -> b.length > 14 && b[0] == 'B' && b[1] == 'M';
      case "gif" -> b.length > 6 && b[0] == 'G' && b[1] == 'I' && b[2] == 'F';
      default -> false;
    };
  }

  private static GraftException bad(String entry, String message) {
    return GraftException.invalidArgument("data[entry " + entry + "]",
        RecordErrors.INVALID_DATASET_RECORD, "entry " + entry + " " + message);
  }
}
