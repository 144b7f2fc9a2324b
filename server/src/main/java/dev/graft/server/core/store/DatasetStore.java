package dev.graft.server.core.store;

import com.google.gson.JsonParseException;
import dev.graft.server.core.Echo;
import dev.graft.server.core.Suggestions;
import dev.graft.server.core.Limits;
import dev.graft.spi.Example;
import dev.graft.spi.GraftException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Uploaded datasets: {@code datasets/<id>/} holding the parts as sent ({@code data} for the main
 * part, {@code data.<part>} for named ones) and a {@code manifest.json} (a {@link DatasetRecord}).
 * A dataset exists exactly when its manifest does. Ids are random ("ds-" + 12 hex); a name may be
 * used by several datasets, and addressing by name means the newest of them.
 *
 * <p>Parsed examples are kept in memory for recently used datasets, bounded by their estimated heap
 * size ({@link ExampleSizes}). Every parse runs within a {@link ParseBudget} derived from
 * {@code max-dataset-bytes}, so compressed or amplifying uploads cannot exhaust the heap.
 * Lookups re-check the disk, so datasets of another process sharing the store are seen.
 *
 * <p>Uploads are bounded by {@link Limits}: {@code max-dataset-bytes} (checked as bytes arrive),
 * {@code max-datasets-per-principal} (checked when an upload begins) and
 * {@code min-free-disk-bytes} (checked when it begins and each 8 MiB after).
 *
 * <p>Thread-safe. Uploads from {@link #begin} are owned and closed by the caller.
 */
public final class DatasetStore {
  static final String MAIN_FILE = "data";
  static final String DATASET_NOT_FOUND = "DATASET_NOT_FOUND";
  private static final Logger LOG = LoggerFactory.getLogger(DatasetStore.class);
  private static final Pattern ID = Pattern.compile("ds-[0-9a-f]{12}");
  private static final long DEFAULT_CACHE_BYTES = 512L << 20;
  private static final int MAX_PUBLISH_ATTEMPTS = 100;
  /** No quotas: for stores opened outside the server (tools, tests). */
  private static final Limits UNLIMITED = new Limits(Long.MAX_VALUE, Integer.MAX_VALUE, 0, Integer.MAX_VALUE,
      Long.MAX_VALUE, Duration.ofDays(1), Limits.KeepCheckpoints.ALL, Duration.ZERO, Integer.MAX_VALUE);

  private final StoreLayout layout;
  private final JsonCodec json;
  private final Map<DatasetFormat, DatasetParser> parsers;
  private final ExamplesCache cache;
  private final Limits limits;
  private final DiskSpace disk;
  private final SecureRandom random = new SecureRandom();
  /** id → record; guarded by {@code this}. */
  private final Map<String, DatasetRecord> index = new HashMap<>();
  private final Set<Path> reported = ConcurrentHashMap.newKeySet();

  /** A store without quotas caching parsed examples up to 512 MiB of heap (or a quarter of the heap, if less). */
  public DatasetStore(StoreLayout layout, JsonCodec json, Map<DatasetFormat, DatasetParser> parsers) {
    this(layout, json, parsers, UNLIMITED);
  }

  /** A store whose uploads obey {@code limits}, caching as much as {@link #DatasetStore(StoreLayout, JsonCodec, Map)}. */
  public DatasetStore(StoreLayout layout, JsonCodec json, Map<DatasetFormat, DatasetParser> parsers, Limits limits) {
    this(layout, json, parsers, Math.min(DEFAULT_CACHE_BYTES, Runtime.getRuntime().maxMemory() / 4), limits,
        DiskSpace.of(layout.root(), limits.minFreeDiskBytes()));
  }

  /** A store without quotas; reloads every {@code datasets/<id>/manifest.json}. */
  public DatasetStore(
      StoreLayout layout, JsonCodec json, Map<DatasetFormat, DatasetParser> parsers, long cacheBytes) {
    this(layout, json, parsers, cacheBytes, UNLIMITED, new DiskSpace(0, () -> Long.MAX_VALUE));
  }

  /** Reloads every {@code datasets/<id>/manifest.json}; {@code disk} guards the free space. */
  DatasetStore(StoreLayout layout, JsonCodec json, Map<DatasetFormat, DatasetParser> parsers, long cacheBytes,
      Limits limits, DiskSpace disk) {
    this.layout = Objects.requireNonNull(layout, "layout");
    this.json = Objects.requireNonNull(json, "json");
    this.parsers = parsers.isEmpty() ? Map.of() : new EnumMap<>(parsers);
    this.cache = new ExamplesCache(cacheBytes);
    this.limits = Objects.requireNonNull(limits, "limits");
    this.disk = Objects.requireNonNull(disk, "disk");
    rescan(true);
  }

  /**
   * Starts an upload.
   *
   * @param createdBy the uploading principal; it may hold at most {@code max-datasets-per-principal}
   *     datasets (the anonymous principal of a server without auth counts as one principal)
   * @throws GraftException INVALID_ARGUMENT for a bad name (field "spec.name", reason
   *     INVALID_MODEL_NAME) or bad options; UNIMPLEMENTED reason FORMAT_NOT_SUPPORTED for a format
   *     without a parser; RESOURCE_EXHAUSTED reason TOO_MANY_DATASETS or DISK_FULL. The upload
   *     itself refuses RESOURCE_EXHAUSTED DATASET_TOO_LARGE and DISK_FULL as bytes arrive.
   */
  public DatasetUpload begin(DatasetSpecRecord spec, String createdBy) {
    ModelStore.validateName(spec.name(), "spec.name");
    DatasetParser parser = spec.format() == null ? null : parsers.get(spec.format());
    if (parser == null) {
      String supported = parsers.keySet().stream().map(Enum::name).collect(Collectors.joining(", "));
      throw GraftException.unimplemented(
          "FORMAT_NOT_SUPPORTED",
          "dataset format " + spec.format() + " is not supported; supported formats: " + supported);
    }
    parser.validate(spec);
    long held = list().stream().filter(d -> Objects.equals(d.createdBy(), createdBy)).count();
    if (held >= limits.maxDatasetsPerPrincipal()) {
      throw GraftException.resourceExhausted("TOO_MANY_DATASETS", "principal '" + createdBy + "' holds " + held
          + " datasets, the most max-datasets-per-principal=" + limits.maxDatasetsPerPrincipal()
          + " allows; delete one first");
    }
    String what = "the upload of dataset '" + spec.name() + "'";
    disk.require(0, what);
    Path dir = layout.staging().resolve("dataset-" + UUID.randomUUID());
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw StoreErrors.io("cannot stage dataset '" + spec.name() + "'", e);
    }
    return new StagedDatasetUpload(this, spec, createdBy, parser, dir, limits.maxDatasetBytes(), disk.meter(what));
  }

  /** The dataset with this id, or the newest with this name. */
  public Optional<DatasetRecord> find(String idOrName) {
    if (idOrName == null || idOrName.isEmpty()) {
      return Optional.empty();
    }
    if (ID.matcher(idOrName).matches()) {
      return Optional.ofNullable(load(idOrName));
    }
    rescan(false);
    synchronized (this) {
      return index.values().stream()
          .filter(r -> r.name().equals(idOrName))
          .max(Comparator.comparing(DatasetRecord::createTime).thenComparing(DatasetRecord::id));
    }
  }

  /** The datasets' names in the index (for suggestions on an error path). */
  private synchronized List<String> names() {
    return index.values().stream().map(DatasetRecord::name).distinct().toList();
  }

  /** @throws GraftException NOT_FOUND reason DATASET_NOT_FOUND */
  public DatasetRecord get(String idOrName) {
    return find(idOrName)
        .orElseThrow(() -> GraftException.notFound(DATASET_NOT_FOUND, Suggestions.withSuggestion(
            "dataset " + Echo.quote(idOrName) + " not found", idOrName, names())));
  }

  /** Every dataset, sorted by name, then create time, then id; re-reads the disk. */
  public List<DatasetRecord> list() {
    rescan(false);
    List<DatasetRecord> out;
    synchronized (this) {
      out = new ArrayList<>(index.values());
    }
    out.sort(Comparator.comparing(DatasetRecord::name)
        .thenComparing(DatasetRecord::createTime)
        .thenComparing(DatasetRecord::id));
    return out;
  }

  /**
   * Deletes a dataset: its folder is renamed out of {@code datasets/} in one step, then deleted.
   *
   * @throws GraftException NOT_FOUND reason DATASET_NOT_FOUND
   */
  public DatasetRecord delete(String idOrName) {
    DatasetRecord record = get(idOrName);
    Path trash = layout.staging().resolve("deleted-" + UUID.randomUUID());
    try {
      try {
        Files.move(directory(record), trash, StandardCopyOption.ATOMIC_MOVE);
      } catch (NoSuchFileException gone) {
        throw GraftException.notFound(DATASET_NOT_FOUND, "dataset " + Echo.quote(idOrName) + " not found");
      } finally {
        forget(record.id());
      }
      AtomicFiles.fsyncDirectory(layout.datasets());
      FileTrees.deleteRecursively(trash);
      return record;
    } catch (IOException e) {
      throw StoreErrors.io("cannot delete dataset '" + record.id() + "'", e);
    }
  }

  /**
   * The examples of a dataset (by id or name), parsed from its stored parts and cached. The list
   * is unmodifiable and shared: callers must not change the arrays inside the examples.
   *
   * @throws GraftException NOT_FOUND reason DATASET_NOT_FOUND
   */
  public List<Example> examples(String idOrName) {
    DatasetRecord record = get(idOrName);
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
      for (Path file : FileTrees.children(directory(record))) {
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

  /** A fresh budget for parsing one upload ({@link ParseBudget#forDatasetBytes} of {@code max-dataset-bytes}). */
  ParseBudget parseBudget() {
    return ParseBudget.forDatasetBytes(limits.maxDatasetBytes());
  }

  /** The estimated heap bytes of the cached examples (for tests and metrics). */
  long cachedBytes() {
    return cache.usedBytes();
  }

  /** The folder of a dataset. */
  public Path directory(DatasetRecord record) {
    return layout.datasets().resolve(record.id());
  }

  // ---------------------------------------------------------------------------------------------

  /**
   * Writes the manifest (with {@code files}, each part's size and SHA-256: see {@link
   * ManifestFiles}) into the staged folder and publishes it under a fresh id.
   */
  DatasetRecord publish(
      Path staged, DatasetSpecRecord spec, String createdBy, DatasetStats stats, List<Example> examples,
      String sha256, long bytes, Map<String, ManifestFiles.Entry> files) throws IOException {
    Instant now = Instant.now();
    for (int attempt = 0; attempt < MAX_PUBLISH_ATTEMPTS; attempt++) {
      String id = newId();
      DatasetRecord record = new DatasetRecord(id, spec.name(), spec.domain(), spec.format(), stats.task(),
          examples.size(), stats.labels(), stats.labelCounts(), sha256, bytes, now, spec.options(), createdBy);
      AtomicFiles.write(staged.resolve(ModelStore.MANIFEST), ManifestFiles.manifest(json, record, files),
          layout.instanceId());
      try {
        AtomicFiles.publishDirectory(staged, directory(record));
      } catch (FileAlreadyExistsException taken) {
        continue;
      }
      synchronized (this) {
        index.put(id, record);
      }
      cache.put(id, List.copyOf(examples));
      return record;
    }
    throw StoreErrors.aborted("ID_CONFLICT", "could not claim a dataset id");
  }

  /** Deletes a staging folder of an abandoned upload; failures are logged (staging is wiped at restart). */
  void discardStaging(Path dir) {
    try {
      FileTrees.deleteRecursively(dir);
    } catch (IOException e) {
      LOG.warn("cannot delete staged upload {}: {}", dir, e.toString());
    }
  }

  private String newId() {
    byte[] b = new byte[6];
    random.nextBytes(b);
    return "ds-" + HexFormat.of().formatHex(b);
  }

  /** A dataset by id, checked on disk; null if absent. */
  private DatasetRecord load(String id) {
    Path dir = layout.datasets().resolve(id);
    if (!Files.isRegularFile(dir.resolve(ModelStore.MANIFEST))) {
      forget(id);
      return null;
    }
    synchronized (this) {
      DatasetRecord known = index.get(id);
      if (known != null) {
        return known;
      }
    }
    DatasetRecord record = readManifest(dir, id, false);
    if (record != null) {
      synchronized (this) {
        index.put(id, record);
      }
    }
    return record;
  }

  private void rescan(boolean startup) {
    Map<String, DatasetRecord> fresh = new HashMap<>();
    try {
      for (Path dir : FileTrees.children(layout.datasets())) {
        String id = dir.getFileName().toString();
        if (!ID.matcher(id).matches() || !Files.isDirectory(dir)) {
          continue;
        }
        DatasetRecord known;
        synchronized (this) {
          known = index.get(id);
        }
        DatasetRecord record = known != null && Files.isRegularFile(dir.resolve(ModelStore.MANIFEST))
            ? known
            : readManifest(dir, id, startup);
        if (record != null) {
          fresh.put(id, record);
        }
      }
    } catch (IOException e) {
      throw StoreErrors.io("cannot list datasets in " + layout.datasets(), e);
    }
    synchronized (this) {
      index.keySet().stream().filter(id -> !fresh.containsKey(id)).forEach(cache::remove);
      index.clear();
      index.putAll(fresh);
    }
  }

  private DatasetRecord readManifest(Path dir, String id, boolean startup) {
    try {
      DatasetRecord record =
          json.fromJson(Files.readString(dir.resolve(ModelStore.MANIFEST), StandardCharsets.UTF_8), DatasetRecord.class);
      if (!record.id().equals(id)) {
        report(dir, "its manifest names " + record.id(), true);
        return null;
      }
      return record;
    } catch (NoSuchFileException e) {
      report(dir, "it has no manifest (a publish cut short, or one in progress)", startup);
      return null;
    } catch (IOException | JsonParseException | NullPointerException e) {
      report(dir, "its manifest is unreadable: " + e, true);
      return null;
    }
  }

  private void report(Path dir, String why, boolean warn) {
    if (reported.add(dir)) {
      if (warn) {
        LOG.warn("ignoring dataset folder {}: {}", dir, why);
      } else {
        LOG.debug("ignoring dataset folder {}: {}", dir, why);
      }
    }
  }

  private void forget(String id) {
    synchronized (this) {
      index.remove(id);
    }
    cache.remove(id);
  }
}
