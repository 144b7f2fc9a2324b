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
 * The local {@link DatasetStore}: uploaded datasets in {@code datasets/<id>/} holding the parts as sent ({@code data} for the main
 * part, {@code data.<part>} for named ones) and a {@code manifest.json} (a {@link DatasetRecord}).
 * A dataset exists exactly when its manifest does. Ids are random ("ds-" + 12 hex); a name may be
 * used by several datasets, and addressing by name means the newest of them.
 *
 * <p>Parsed examples are kept in memory for recently used datasets, bounded by their estimated heap
 * size ({@link ExampleSizes}); see {@link DatasetIntake}. Lookups re-check the disk, so datasets of
 * another process sharing the store are seen.
 *
 * <p>Uploads are bounded by {@link Limits}: {@code max-dataset-bytes} (checked as bytes arrive),
 * {@code max-datasets-per-principal} (checked when an upload begins) and
 * {@code min-free-disk-bytes} (checked when it begins and each 8 MiB after).
 *
 * <p>Thread-safe. Uploads from {@link #begin} are owned and closed by the caller.
 */
public final class LocalDatasetStore implements DatasetStore, DatasetPublisher {
  private static final Logger LOG = LoggerFactory.getLogger(LocalDatasetStore.class);
  private static final int MAX_PUBLISH_ATTEMPTS = 100;
  /** No quotas: for stores opened outside the server (tools, tests). */
  private static final Limits UNLIMITED = new Limits(Long.MAX_VALUE, Integer.MAX_VALUE, 0, Integer.MAX_VALUE,
      Long.MAX_VALUE, Duration.ofDays(1), Limits.KeepCheckpoints.ALL, Duration.ZERO, Integer.MAX_VALUE);

  private final StoreLayout layout;
  private final JsonCodec json;
  private final DatasetIntake intake;
  /** id → record; guarded by {@code this}. */
  private final Map<String, DatasetRecord> index = new HashMap<>();
  private final Set<Path> reported = ConcurrentHashMap.newKeySet();

  /** A store without quotas caching parsed examples as {@link DatasetIntake#defaultCacheBytes()} allows. */
  public LocalDatasetStore(StoreLayout layout, JsonCodec json, Map<DatasetFormat, DatasetParser> parsers) {
    this(layout, json, parsers, UNLIMITED);
  }

  /** A store whose uploads obey {@code limits}, caching as much as {@link DatasetIntake#defaultCacheBytes()}. */
  public LocalDatasetStore(StoreLayout layout, JsonCodec json, Map<DatasetFormat, DatasetParser> parsers,
      Limits limits) {
    this(layout, json, parsers, DatasetIntake.defaultCacheBytes(), limits,
        DiskSpace.of(layout.root(), limits.minFreeDiskBytes()));
  }

  /** A store without quotas; reloads every {@code datasets/<id>/manifest.json}. */
  public LocalDatasetStore(
      StoreLayout layout, JsonCodec json, Map<DatasetFormat, DatasetParser> parsers, long cacheBytes) {
    this(layout, json, parsers, cacheBytes, UNLIMITED, new DiskSpace(0, () -> Long.MAX_VALUE));
  }

  /** Reloads every {@code datasets/<id>/manifest.json}; {@code disk} guards the free space. */
  LocalDatasetStore(StoreLayout layout, JsonCodec json, Map<DatasetFormat, DatasetParser> parsers, long cacheBytes,
      Limits limits, DiskSpace disk) {
    this.layout = Objects.requireNonNull(layout, "layout");
    this.json = Objects.requireNonNull(json, "json");
    this.intake = new DatasetIntake(layout.staging(), parsers, cacheBytes, limits, disk);
    rescan(true);
  }

  @Override
  public DatasetUpload begin(DatasetSpecRecord spec, String createdBy) {
    long held = list().stream().filter(d -> Objects.equals(d.createdBy(), createdBy)).count();
    return intake.begin(spec, createdBy, held, this);
  }

  @Override
  public Optional<DatasetRecord> find(String idOrName) {
    if (idOrName == null || idOrName.isEmpty()) {
      return Optional.empty();
    }
    if (DatasetIntake.isId(idOrName)) {
      return Optional.ofNullable(load(idOrName));
    }
    rescan(false);
    synchronized (this) {
      return index.values().stream()
          .filter(r -> r.name().equals(idOrName))
          .max(Comparator.comparing(DatasetRecord::createTime).thenComparing(DatasetRecord::id));
    }
  }

  @Override
  public synchronized List<String> names() {
    return index.values().stream().map(DatasetRecord::name).distinct().toList();
  }

  @Override
  public List<DatasetRecord> list() {
    rescan(false);
    List<DatasetRecord> out;
    synchronized (this) {
      out = new ArrayList<>(index.values());
    }
    out.sort(DatasetStore.ORDER);
    return out;
  }

  /**
   * Deletes a dataset: its folder is renamed out of {@code datasets/} in one step, then deleted.
   *
   * @throws GraftException NOT_FOUND reason DATASET_NOT_FOUND
   */
  @Override
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

  @Override
  public List<Example> examples(String idOrName) {
    DatasetRecord record = get(idOrName);
    return intake.examples(record, directory(record));
  }

  /** The estimated heap bytes of the cached examples (for tests and metrics). */
  long cachedBytes() {
    return intake.cachedBytes();
  }

  /** The folder of a dataset. */
  @Override
  public Path directory(DatasetRecord record) {
    return layout.datasets().resolve(record.id());
  }

  /**
   * Writes the manifest (with {@code files}, each part's size and SHA-256: see {@link
   * ManifestFiles}) into the staged folder and publishes it under a fresh id in one rename.
   */
  @Override
  public DatasetRecord publish(Path staged, DatasetRecord draft, Map<String, ManifestFiles.Entry> files,
      List<Example> examples) throws IOException {
    for (int attempt = 0; attempt < MAX_PUBLISH_ATTEMPTS; attempt++) {
      DatasetRecord record = draft.withId(intake.newId());
      AtomicFiles.write(staged.resolve(ModelStore.MANIFEST), ManifestFiles.manifest(json, record, files),
          layout.instanceId());
      try {
        AtomicFiles.publishDirectory(staged, directory(record));
      } catch (FileAlreadyExistsException taken) {
        continue;
      }
      synchronized (this) {
        index.put(record.id(), record);
      }
      intake.remember(record.id(), examples);
      return record;
    }
    throw StoreErrors.aborted("ID_CONFLICT", "could not claim a dataset id");
  }

  // ---------------------------------------------------------------------------------------------

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
        if (!DatasetIntake.isId(id) || !Files.isDirectory(dir)) {
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
      index.keySet().stream().filter(id -> !fresh.containsKey(id)).forEach(intake::forget);
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
    intake.forget(id);
  }
}
