package dev.graft.server.core.store;

import dev.graft.server.core.Limits;
import dev.graft.spi.Example;
import dev.graft.spi.GraftException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every {@link DatasetStore} backend does the same way: starting an upload (the spec's
 * checks, the per-principal quota, free disk, a local staging folder) and reading a stored
 * dataset's parts back as examples through a heap-bounded cache. Backends differ only in where a
 * finished upload is published ({@link DatasetPublisher}) and where its parts are read from.
 *
 * <p>Every parse runs within a {@link ParseBudget} derived from {@code max-dataset-bytes}, so
 * compressed or amplifying uploads cannot exhaust the heap. Thread-safe.
 */
public final class DatasetIntake {
  /** The file name of a dataset's main part; named parts are {@code data.<part>}. */
  public static final String MAIN_FILE = "data";
  private static final Logger LOG = LoggerFactory.getLogger(DatasetIntake.class);
  private static final long DEFAULT_CACHE_BYTES = 512L << 20;

  private final Path staging;
  private final Map<DatasetFormat, DatasetParser> parsers;
  private final ExamplesCache cache;
  private final Limits limits;
  private final DiskSpace disk;
  private final SecureRandom random = new SecureRandom();

  /**
   * @param staging the local folder uploads are staged in
   * @param cacheBytes the heap the parsed examples of recently used datasets may take
   * @param disk guards the free space of the staging folder's file system
   */
  public DatasetIntake(Path staging, Map<DatasetFormat, DatasetParser> parsers, long cacheBytes, Limits limits,
      DiskSpace disk) {
    this.staging = Objects.requireNonNull(staging, "staging");
    this.parsers = parsers.isEmpty() ? Map.of() : new EnumMap<>(parsers);
    this.cache = new ExamplesCache(cacheBytes);
    this.limits = Objects.requireNonNull(limits, "limits");
    this.disk = Objects.requireNonNull(disk, "disk");
  }

  /** The default bound of the examples cache: 512 MiB of heap, or a quarter of the heap if less. */
  public static long defaultCacheBytes() {
    return Math.min(DEFAULT_CACHE_BYTES, Runtime.getRuntime().maxMemory() / 4);
  }

  /**
   * Starts an upload that {@code publisher} publishes when it is committed.
   *
   * @param createdBy the uploading principal
   * @param held how many datasets {@code createdBy} holds now; at most
   *     {@code max-datasets-per-principal} are allowed (the anonymous principal of a server
   *     without auth counts as one principal)
   * @throws GraftException INVALID_ARGUMENT for a bad name (field "spec.name", reason
   *     INVALID_MODEL_NAME) or bad options; UNIMPLEMENTED reason FORMAT_NOT_SUPPORTED for a format
   *     without a parser; RESOURCE_EXHAUSTED reason TOO_MANY_DATASETS or DISK_FULL. The upload
   *     itself refuses RESOURCE_EXHAUSTED DATASET_TOO_LARGE and DISK_FULL as bytes arrive.
   */
  public DatasetUpload begin(DatasetSpecRecord spec, String createdBy, long held, DatasetPublisher publisher) {
    ModelStore.validateName(spec.name(), "spec.name");
    DatasetParser parser = spec.format() == null ? null : parsers.get(spec.format());
    if (parser == null) {
      String supported = parsers.keySet().stream().map(Enum::name).collect(Collectors.joining(", "));
      throw GraftException.unimplemented(
          "FORMAT_NOT_SUPPORTED",
          "dataset format " + spec.format() + " is not supported; supported formats: " + supported);
    }
    parser.validate(spec);
    if (held >= limits.maxDatasetsPerPrincipal()) {
      throw GraftException.resourceExhausted("TOO_MANY_DATASETS", "principal '" + createdBy + "' holds " + held
          + " datasets, the most max-datasets-per-principal=" + limits.maxDatasetsPerPrincipal()
          + " allows; delete one first");
    }
    String what = "the upload of dataset '" + spec.name() + "'";
    disk.require(0, what);
    Path dir = staging.resolve("dataset-" + UUID.randomUUID());
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw StoreErrors.io("cannot stage dataset '" + spec.name() + "'", e);
    }
    return new StagedDatasetUpload(this, publisher, spec, createdBy, parser, dir, limits.maxDatasetBytes(),
        disk.meter(what));
  }

  /**
   * The examples of a stored dataset whose parts lie in {@code folder}, parsed and cached. The
   * list is unmodifiable and shared: callers must not change the arrays inside the examples.
   *
   * @throws GraftException UNIMPLEMENTED reason FORMAT_NOT_SUPPORTED when no parser reads its format
   */
  public List<Example> examples(DatasetRecord record, Path folder) {
    List<Example> cached = cache.get(record.id());
    if (cached != null) {
      return cached;
    }
    DatasetParser parser = parsers.get(record.format());
    if (parser == null) {
      throw GraftException.unimplemented(
          "FORMAT_NOT_SUPPORTED", "dataset " + record.id() + " is " + record.format() + ", which this server cannot read");
    }
    Map<String, Path> parts = new LinkedHashMap<>();
    try {
      for (Path file : FileTrees.children(folder)) {
        String name = file.getFileName().toString();
        if (name.equals(MAIN_FILE)) {
          parts.put("", file);
        } else if (name.startsWith(MAIN_FILE + ".")) {
          parts.put(name.substring(MAIN_FILE.length() + 1), file);
        }
      }
    } catch (IOException e) {
      throw StoreErrors.io("cannot read dataset '" + record.id() + "'", e);
    }
    // a dataset stored under a larger max-dataset-bytes stays readable
    ParseBudget budget = ParseBudget.forDatasetBytes(Math.max(limits.maxDatasetBytes(), record.sizeBytes()));
    List<Example> examples = List.copyOf(parser.parse(parts, record.spec(), budget));
    cache.put(record.id(), examples);
    return examples;
  }

  /**
   * The cached examples of dataset {@code id}, if they are in memory: lets a backend whose parts
   * must be fetched first (the shared store) skip the fetch.
   */
  public Optional<List<Example>> cached(String id) {
    return Optional.ofNullable(cache.get(id));
  }

  /** Caches the examples of a dataset just published (they were parsed during the upload). */
  public void remember(String id, List<Example> examples) {
    cache.put(id, List.copyOf(examples));
  }

  /** Drops a dataset's cached examples (it was deleted). */
  public void forget(String id) {
    cache.remove(id);
  }

  /** A fresh random dataset id: "ds-" + 12 hex digits. */
  public String newId() {
    byte[] b = new byte[6];
    random.nextBytes(b);
    return "ds-" + HexFormat.of().formatHex(b);
  }

  /** Whether {@code id} has the form of a dataset id. */
  public static boolean isId(String id) {
    return id != null && StoreNames.DATASET_ID.matcher(id).matches();
  }

  /** The estimated heap bytes of the cached examples (for tests and metrics). */
  long cachedBytes() {
    return cache.usedBytes();
  }

  /** A fresh budget for parsing one upload ({@link ParseBudget#forDatasetBytes} of {@code max-dataset-bytes}). */
  ParseBudget parseBudget() {
    return ParseBudget.forDatasetBytes(limits.maxDatasetBytes());
  }

  /** Deletes a staging folder of an abandoned upload; failures are logged (staging is wiped at restart). */
  void discardStaging(Path dir) {
    try {
      FileTrees.deleteRecursively(dir);
    } catch (IOException e) {
      LOG.warn("cannot delete staged upload {}: {}", dir, e.toString());
    }
  }
}
