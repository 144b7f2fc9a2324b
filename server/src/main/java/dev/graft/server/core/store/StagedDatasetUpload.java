package dev.graft.server.core.store;

import dev.graft.server.core.Echo;
import dev.graft.spi.ErrorKind;
import dev.graft.spi.Example;
import dev.graft.spi.GraftException;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A {@link DatasetUpload} streaming each part to a file in a staging folder while hashing all
 * bytes. A write that would pass {@code max-dataset-bytes}, or leave less than
 * {@code min-free-disk-bytes} free, discards the upload and is refused. Thread-safe (synchronized); owns the staging folder until commit publishes it.
 */
final class StagedDatasetUpload implements DatasetUpload {
  static final int MAX_PARTS = 16;
  private static final Pattern PART = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}");

  private final DatasetIntake intake;
  private final DatasetPublisher publisher;
  private final DatasetSpecRecord spec;
  private final String createdBy;
  private final DatasetParser parser;
  private final Path dir;
  private final MessageDigest sha256;
  /** Per part: the SHA-256 of its bytes, for the manifest's {@code files}. */
  private final Map<String, MessageDigest> partDigests = new LinkedHashMap<>();
  private final Map<String, Long> partBytes = new LinkedHashMap<>();
  private final long maxBytes;
  private final DiskSpace.Meter disk;
  private final Map<String, OutputStream> streams = new LinkedHashMap<>();
  private long bytes;
  private boolean finished;

  StagedDatasetUpload(DatasetIntake intake, DatasetPublisher publisher, DatasetSpecRecord spec, String createdBy, DatasetParser parser, Path dir,
      long maxBytes, DiskSpace.Meter disk) {
    this.intake = intake;
    this.publisher = publisher;
    this.maxBytes = maxBytes;
    this.disk = disk;
    this.spec = spec;
    this.createdBy = createdBy;
    this.parser = parser;
    this.dir = dir;
    this.sha256 = ManifestFiles.newDigest();
  }

  /** The file name of a part inside a dataset folder: "data", or "data.PART". */
  static String fileName(String part) {
    return part.isEmpty() ? DatasetIntake.MAIN_FILE : DatasetIntake.MAIN_FILE + "." + part;
  }

  @Override
  public synchronized void write(String part, byte[] data, int offset, int length) {
    requireOpen();
    Objects.checkFromIndexSize(offset, length, data.length);
    String p = part == null ? "" : part;
    if (bytes + length > maxBytes) {
      discard();
      throw GraftException.resourceExhausted("DATASET_TOO_LARGE", "dataset '" + spec.name()
          + "': the upload passed max-dataset-bytes=" + maxBytes + " and was discarded");
    }
    try {
      disk.beforeWrite(length);
    } catch (GraftException e) {
      discard();
      throw e;
    }
    try {
      OutputStream out = streams.get(p);
      if (out == null) {
        out = open(p);
      }
      out.write(data, offset, length);
    } catch (IOException e) {
      discard();
      throw StoreErrors.io("cannot stage dataset '" + spec.name() + "'", e);
    }
    sha256.update(data, offset, length);
    partDigests.computeIfAbsent(p, k -> ManifestFiles.newDigest()).update(data, offset, length);
    partBytes.merge(p, (long) length, Long::sum);
    bytes += length;
  }

  @Override
  public synchronized long bytesWritten() {
    return bytes;
  }

  @Override
  public synchronized DatasetRecord commit() {
    requireOpen();
    try {
      Map<String, Path> parts = new LinkedHashMap<>();
      for (Map.Entry<String, OutputStream> e : streams.entrySet()) {
        e.getValue().close();
        parts.put(e.getKey(), dir.resolve(fileName(e.getKey())));
      }
      streams.clear();
      List<Example> examples = parse(parts);
      if (examples.isEmpty()) {
        throw GraftException.invalidArgument(
            "data", "EMPTY_DATASET", "dataset '" + spec.name() + "' has no examples (" + bytes + " bytes received)");
      }
      DatasetStats stats = DatasetStats.of(examples, spec.task());
      String hash = HexFormat.of().formatHex(sha256.digest());
      Map<String, ManifestFiles.Entry> files = new LinkedHashMap<>();
      partDigests.forEach((part, digest) -> files.put(fileName(part),
          new ManifestFiles.Entry(partBytes.get(part), HexFormat.of().formatHex(digest.digest()))));
      DatasetRecord draft = new DatasetRecord("", spec.name(), spec.domain(), spec.format(), stats.task(),
          examples.size(), stats.labels(), stats.labelCounts(), hash, bytes, Instant.now(), spec.options(), createdBy);
      DatasetRecord record = publisher.publish(dir, draft, files, examples);
      finished = true;
      return record;
    } catch (IOException e) {
      discard();
      throw StoreErrors.io("cannot store dataset '" + spec.name() + "'", e);
    } catch (RuntimeException e) {
      discard();
      throw e;
    }
  }

  @Override
  public synchronized void close() {
    if (!finished) {
      discard();
    }
  }

  private List<Example> parse(Map<String, Path> parts) {
    try {
      return parser.parse(parts, spec, intake.parseBudget());
    } catch (GraftException e) {
      throw e;
    } catch (RuntimeException e) {
      throw GraftException.internal(
          "PARSER_FAILED", "the " + spec.format() + " parser failed on dataset '" + spec.name() + "': " + e, e);
    }
  }

  private OutputStream open(String part) throws IOException {
    if (!PART.matcher(part).matches() && !part.isEmpty()) {
      throw GraftException.invalidArgument(
          "chunk.part", "INVALID_PART_NAME",
          "part " + Echo.quote(part) + " is not a valid part name: use up to 64 characters from A-Z, a-z, 0-9, '.', '_',"
              + " '-'");
    }
    if (streams.size() >= MAX_PARTS) {
      throw GraftException.invalidArgument(
          "chunk.part", "TOO_MANY_PARTS", "a dataset has at most " + MAX_PARTS + " parts");
    }
    OutputStream out = new BufferedOutputStream(
        Files.newOutputStream(dir.resolve(fileName(part)), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
        1 << 16);
    streams.put(part, out);
    return out;
  }

  private void requireOpen() {
    if (finished) {
      throw new GraftException(
          ErrorKind.FAILED_PRECONDITION, "UPLOAD_FINISHED", "the upload of dataset '" + spec.name() + "' is finished");
    }
  }

  /** Deletes the staged files; the upload is finished. */
  private void discard() {
    finished = true;
    for (OutputStream out : streams.values()) {
      try {
        out.close();
      } catch (IOException ignored) {
        // the file is deleted below anyway
      }
    }
    streams.clear();
    intake.discardStaging(dir);
  }
}
