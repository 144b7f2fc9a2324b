package dev.graft.server.core.store;

import dev.graft.server.core.Echo;
import dev.graft.spi.Example;
import dev.graft.spi.GraftException;
import dev.graft.spi.ModelInput;
import dev.graft.spi.Target;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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
 * {@value #MAX_ENTRY_BYTES} bytes uncompressed; the archive holds at most
 * {@link ParseBudget#MAX_ENTRIES} entries and decodes within the {@link ParseBudget} (checked first
 * against the sizes its directory declares, then while each entry is decoded).
 *
 * <p>Errors are INVALID_ARGUMENT with reason INVALID_DATASET_RECORD: field {@code data} for an
 * archive that cannot be read or holds no image, field {@code data[entry NAME]} for an image at
 * the archive's root (no label), too large, or whose bytes are not the format its name says;
 * RESOURCE_EXHAUSTED as {@link ParseBudget} says.
 * Stateless and thread-safe.
 */
public final class ZipDatasetParser implements DatasetParser {
  static final long MAX_ENTRY_BYTES = 64L << 20;
  private static final Set<String> IMAGES = Set.of("png", "jpg", "jpeg", "bmp", "gif");

  @Override
  public List<Example> parse(Map<String, Path> parts, DatasetSpecRecord spec, ParseBudget budget) {
    RecordErrors.onlyParts(parts, Set.of(""), "ZIP");
    Path file = parts.get("");
    if (file == null) {
      return List.of();
    }
    try (ZipFile zip = new ZipFile(file.toFile())) {
      ParseBudget.requireEntries(zip.size(), "data");
      long archiveBytes = Files.size(file);
      List<ZipEntry> entries = new ArrayList<>(zip.size());
      long declared = 0;
      for (var it = zip.entries(); it.hasMoreElements(); ) {
        ZipEntry entry = it.nextElement();
        ParseBudget.requireEntries(entries.size() + 1L, "data");
        if (entry.isDirectory() || hidden(entry.getName()) || !IMAGES.contains(extension(entry.getName()))) {
          continue;
        }
        if (entry.getSize() > MAX_ENTRY_BYTES) {
          throw bad(entry.getName(), "is larger than " + MAX_ENTRY_BYTES + " bytes");
        }
        declared += Math.max(0, entry.getSize());
        entries.add(entry);
      }
      // sizes declared in the archive's directory: a bomb that admits its size is refused before decoding
      budget.requireDecodable(declared, archiveBytes, "data");
      entries.sort((a, b) -> a.getName().compareTo(b.getName()));
      List<Example> out = new ArrayList<>();
      // all entries share the archive's allowance, counted while they are decoded
      ParseBudget.Stream decoded = budget.stream(archiveBytes, "data");
      for (ZipEntry entry : entries) {
        String name = entry.getName();
        String ext = extension(name);
        String[] path = name.split("/");
        if (path.length < 2 || path[path.length - 2].isBlank()) {
          throw bad(name, "is not in a folder; put each image in a folder named after its label");
        }
        byte[] bytes = read(zip, entry, decoded);
        if (!ImageSignatures.matches(ext, bytes)) {
          throw bad(name, "is not a " + ext.toUpperCase(Locale.ROOT) + " image");
        }
        Example example = new Example(new ModelInput.Image(bytes), new Target.Label(path[path.length - 2]));
        budget.add(example, "data");
        out.add(example);
      }
      if (out.isEmpty()) {
        throw GraftException.invalidArgument("data", RecordErrors.INVALID_DATASET_RECORD,
            "the archive holds no images (.png, .jpg, .jpeg, .bmp, .gif) in label folders");
      }
      return out;
    } catch (ZipException | EOFException | IllegalArgumentException e) {
      // The staged file is whole: an archive that ends early, or whose entry names are not UTF-8
      // (ZipFile throws IllegalArgumentException "malformed input"), is the archive's fault.
      throw GraftException.invalidArgument("data", RecordErrors.INVALID_DATASET_RECORD,
          "not a readable ZIP archive: " + e.getMessage());
    } catch (IOException e) {
      throw RecordErrors.io(e);
    }
  }

  private static byte[] read(ZipFile zip, ZipEntry entry, ParseBudget.Stream decoded) throws IOException {
    try (InputStream in = decoded.wrap(zip.getInputStream(entry))) {
      long declared = entry.getSize();
      long limit = declared >= 0 ? Math.min(declared, MAX_ENTRY_BYTES) : MAX_ENTRY_BYTES;
      byte[] bytes = in.readNBytes((int) limit + 1);
      if (bytes.length > limit) {
        throw bad(entry.getName(), declared >= 0 && declared < MAX_ENTRY_BYTES
            ? "decodes to more than the " + declared + " bytes the archive's directory declares"
            : "is larger than " + MAX_ENTRY_BYTES + " bytes");
      }
      return bytes;
    } catch (ZipException | EOFException e) {
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

  private static GraftException bad(String entry, String message) {
    return GraftException.invalidArgument("data[entry " + Echo.cut(entry) + "]",
        RecordErrors.INVALID_DATASET_RECORD, "entry " + Echo.quote(entry) + " " + message);
  }
}
