package dev.graft.server.core.store;

import com.google.gson.JsonParseException;
import dev.graft.spi.GraftException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local {@link ModelStore}: model versions on disk, {@code models/<name>/<version>/} holding the model's files and a
 * {@code manifest.json} (a {@link ModelRecord}). A version exists exactly when its manifest does;
 * a folder without one (a publish cut short, a deleted version) is ignored.
 *
 * <p>Versions are claimed exclusively on disk, so concurrent creators, in this process or in
 * others sharing the store, always get distinct versions. A deleted version keeps an empty folder
 * with a {@code .deleted} marker, so {@code name@version} never names two different models (caches
 * keyed by the reference stay correct across replicas). Reads re-check the disk, so versions
 * written or deleted by another process are seen.
 *
 * <p>Thread-safe. The store owns nothing that needs closing.
 */
public final class LocalModelStore implements ModelStore {
  static final String TOMBSTONE = ".deleted";
  private static final Logger LOG = LoggerFactory.getLogger(LocalModelStore.class);
  private static final Pattern NAME = StoreNames.MODEL;
  private static final Pattern VERSION = StoreNames.VERSION;
  private static final int MAX_PUBLISH_ATTEMPTS = 10_000;

  private final StoreLayout layout;
  private final JsonCodec json;
  /** name → version → record; guarded by {@code this}. */
  private final Map<String, NavigableMap<Integer, ModelRecord>> index = new HashMap<>();
  /** Folders already reported as incomplete or corrupt, so each is logged once. */
  private final Set<Path> reported = ConcurrentHashMap.newKeySet();
  private final ModelAliases aliases;

  /** Loads every {@code models/<name>/<version>/manifest.json} under the layout. */
  public LocalModelStore(StoreLayout layout, JsonCodec json) {
    this.layout = Objects.requireNonNull(layout, "layout");
    this.json = Objects.requireNonNull(json, "json");
    this.aliases = new LocalModelAliases(layout);
    rescan(true);
  }

  /** The aliases of model versions, kept beside this store's models. */
  @Override
  public ModelAliases aliases() {
    return aliases;
  }

  /** A new empty folder under this instance's staging area, for a model's files before {@link #create}. */
  @Override
  public Path newStagingDirectory() throws IOException {
    Path dir = layout.staging().resolve("model-" + UUID.randomUUID());
    Files.createDirectories(dir);
    return dir;
  }

  /**
   * Stores {@code stagedFiles} as the next version of {@code draft.name()}: assigns version =
   * latest + 1 ({@code draft.version()} is ignored), computes the size, sets the create time if
   * null, writes {@code manifest.json} (with each file's size and SHA-256, see {@link
   * ManifestFiles}) into the staged folder last and publishes the folder as
   * {@code models/<name>/<version>} in one rename. If another writer took that version meanwhile,
   * tries the next one. On success the staged folder is gone (it became the version); on failure
   * it stays with the caller, who deletes it.
   *
   * @param stagedFiles a folder on the store's file system, normally from {@link #newStagingDirectory}
   * @return the stored record
   * @throws GraftException INVALID_ARGUMENT for a bad name (field "name") or a file named
   *     manifest.json; INTERNAL STORE_IO on I/O failure
   */
  @Override
  public ModelRecord create(ModelRecord draft, Path stagedFiles) {
    ModelStore.validateName(draft.name(), "name");
    try {
      if (!Files.isDirectory(stagedFiles)) {
        throw new NoSuchFileException(stagedFiles.toString(), null, "staged model folder missing");
      }
      if (Files.exists(stagedFiles.resolve(MANIFEST))) {
        throw GraftException.invalidArgument(
            "", "RESERVED_FILE_NAME", "a model file may not be named " + MANIFEST + ": the store writes it");
      }
      Map<String, ManifestFiles.Entry> files = ManifestFiles.of(stagedFiles);
      long size = files.values().stream().mapToLong(ManifestFiles.Entry::size).sum();
      Instant created = draft.createTime() != null ? draft.createTime() : Instant.now();
      int version = nextVersion(draft.name());
      for (int attempt = 0; attempt < MAX_PUBLISH_ATTEMPTS; attempt++) {
        ModelRecord record = draft.withVersion(version).withSizeBytes(size).withCreateTime(created);
        AtomicFiles.write(stagedFiles.resolve(MANIFEST), ManifestFiles.manifest(json, record, files),
            layout.instanceId());
        try {
          AtomicFiles.publishDirectory(stagedFiles, directory(record));
        } catch (FileAlreadyExistsException taken) {
          version = Math.max(version + 1, nextVersion(draft.name()));
          continue;
        }
        remember(record);
        return record;
      }
      throw StoreErrors.aborted("VERSION_CONFLICT", "could not claim a version of model '" + draft.name() + "'");
    } catch (IOException e) {
      throw StoreErrors.io("cannot store model '" + draft.name() + "'", e);
    }
  }

  /**
   * The model {@code ref} names: {@code name} (its latest version), {@code name@version} or
   * {@code name:alias} (the version the alias names; see {@link #aliases()}).
   * Re-checks the disk, so versions written or deleted by another process are seen.
   *
   * @throws GraftException INVALID_ARGUMENT (field "name", reason INVALID_MODEL_NAME) for a
   *     malformed reference
   */
  @Override
  public Optional<ModelRecord> find(String ref) {
    ModelRef r = ModelRef.parse(ref, "name");
    try {
      int version = !r.alias().isEmpty() ? aliases.version(r.name(), r.alias()).orElse(0)
          : r.version() > 0 ? r.version() : latestOnDisk(r.name());
      return version > 0 ? Optional.ofNullable(load(r.name(), version)) : Optional.empty();
    } catch (IOException e) {
      throw StoreErrors.io("cannot read model '" + ref + "'", e);
    }
  }

  @Override
  public synchronized List<String> names() {
    return List.copyOf(index.keySet());
  }

  /** Every stored version, sorted by name then version; re-reads the disk. */
  @Override
  public List<ModelRecord> list() {
    rescan(false);
    List<ModelRecord> out = new ArrayList<>();
    synchronized (this) {
      index.values().forEach(versions -> out.addAll(versions.values()));
    }
    out.sort(Comparator.comparing(ModelRecord::name).thenComparingInt(ModelRecord::version));
    return out;
  }

  /**
   * Deletes a version: its manifest is moved out first (from then on the version does not
   * exist for any reader), then its files; an empty folder with a {@code .deleted} marker keeps
   * the version number taken.
   *
   * @return the deleted record
   * @throws GraftException NOT_FOUND reason MODEL_NOT_FOUND
   */
  @Override
  public ModelRecord delete(String ref) {
    ModelRecord record = get(ref);
    Path dir = directory(record);
    Path trash = layout.staging().resolve("deleted-" + UUID.randomUUID());
    try {
      Files.createDirectories(trash);
      try {
        Files.move(dir.resolve(MANIFEST), trash.resolve(MANIFEST), StandardCopyOption.ATOMIC_MOVE);
      } catch (NoSuchFileException gone) {
        forget(record);
        FileTrees.deleteRecursively(trash);
        throw GraftException.notFound(ModelStore.MODEL_NOT_FOUND, "model '" + ref + "' not found");
      }
      forget(record);
      AtomicFiles.fsyncDirectory(dir);
      AtomicFiles.write(dir.resolve(TOMBSTONE), record.ref().getBytes(StandardCharsets.UTF_8), layout.instanceId());
      for (Path child : FileTrees.children(dir)) {
        if (!child.getFileName().toString().equals(TOMBSTONE)) {
          Files.move(child, trash.resolve(child.getFileName()), StandardCopyOption.ATOMIC_MOVE);
        }
      }
      FileTrees.deleteRecursively(trash);
      return record;
    } catch (IOException e) {
      throw StoreErrors.io("cannot delete model '" + record.ref() + "'", e);
    }
  }

  /**
   * The version of model {@code name} that job {@code jobId} published (its manifest names the
   * job), read from disk; empty if there is none. For recovery, which runs without a model index.
   */
  static Optional<ModelRecord> publishedBy(StoreLayout layout, JsonCodec json, String name, String jobId) {
    if (name == null || !NAME.matcher(name).matches() || jobId.isEmpty()) {
      return Optional.empty();
    }
    try {
      for (Path versionDir : FileTrees.children(layout.models().resolve(name))) {
        Path manifest = versionDir.resolve(MANIFEST);
        if (versionOf(versionDir) <= 0 || !Files.isRegularFile(manifest)) {
          continue;
        }
        try {
          ModelRecord record = json.fromJson(Files.readString(manifest, StandardCharsets.UTF_8), ModelRecord.class);
          if (record.jobId().equals(jobId) && record.name().equals(name)
              && versionDir.getFileName().toString().equals(Integer.toString(record.version()))) {
            return Optional.of(record);
          }
        } catch (NoSuchFileException deletedMeanwhile) {
          // a delete moved the manifest out: not published any more
        } catch (IOException | JsonParseException | NullPointerException e) {
          LOG.warn("ignoring unreadable manifest {}: {}", manifest, e.toString());
        }
      }
    } catch (IOException e) {
      throw StoreErrors.io("cannot list versions of model '" + name + "'", e);
    }
    return Optional.empty();
  }

  /** The folder holding a version's files. */
  @Override
  public Path directory(ModelRecord record) {
    return layout.models().resolve(record.name()).resolve(Integer.toString(record.version()));
  }

  // ---------------------------------------------------------------------------------------------

  /** The next free version number: above every version folder on disk, whole or not. */
  private int nextVersion(String name) throws IOException {
    int max = 0;
    for (Path child : FileTrees.children(layout.models().resolve(name))) {
      max = Math.max(max, versionOf(child));
    }
    synchronized (this) {
      NavigableMap<Integer, ModelRecord> versions = index.get(name);
      if (versions != null && !versions.isEmpty()) {
        max = Math.max(max, versions.lastKey());
      }
    }
    return max + 1;
  }

  /** The highest version of {@code name} whose manifest exists, or 0. */
  private int latestOnDisk(String name) throws IOException {
    List<Integer> versions = new ArrayList<>();
    for (Path child : FileTrees.children(layout.models().resolve(name))) {
      int v = versionOf(child);
      if (v > 0) {
        versions.add(v);
      }
    }
    versions.sort(Comparator.reverseOrder());
    for (int v : versions) {
      if (Files.isRegularFile(layout.models().resolve(name).resolve(Integer.toString(v)).resolve(MANIFEST))) {
        return v;
      }
    }
    return 0;
  }

  /** The record of a version, from memory if its manifest still exists, else from disk; null if absent. */
  private ModelRecord load(String name, int version) {
    Path dir = layout.models().resolve(name).resolve(Integer.toString(version));
    if (!Files.isRegularFile(dir.resolve(MANIFEST))) {
      synchronized (this) {
        NavigableMap<Integer, ModelRecord> versions = index.get(name);
        if (versions != null) {
          versions.remove(version);
        }
      }
      return null;
    }
    synchronized (this) {
      NavigableMap<Integer, ModelRecord> versions = index.get(name);
      if (versions != null && versions.containsKey(version)) {
        return versions.get(version);
      }
    }
    ModelRecord record = readManifest(dir, name, version, false);
    if (record != null) {
      remember(record);
    }
    return record;
  }

  /** Rebuilds the index from disk, reusing records already read (manifests never change). */
  private void rescan(boolean startup) {
    Map<String, NavigableMap<Integer, ModelRecord>> fresh = new HashMap<>();
    try {
      for (Path nameDir : FileTrees.children(layout.models())) {
        String name = nameDir.getFileName().toString();
        if (!NAME.matcher(name).matches() || !Files.isDirectory(nameDir)) {
          continue;
        }
        for (Path versionDir : FileTrees.children(nameDir)) {
          int version = versionOf(versionDir);
          if (version <= 0 || Files.exists(versionDir.resolve(TOMBSTONE))) {
            continue;
          }
          ModelRecord known = cached(name, version);
          ModelRecord record = known != null && Files.isRegularFile(versionDir.resolve(MANIFEST))
              ? known
              : readManifest(versionDir, name, version, startup);
          if (record != null) {
            fresh.computeIfAbsent(name, n -> new TreeMap<>()).put(version, record);
          }
        }
      }
    } catch (IOException e) {
      throw StoreErrors.io("cannot list models in " + layout.models(), e);
    }
    synchronized (this) {
      index.clear();
      index.putAll(fresh);
    }
  }

  /** Reads a version's manifest; null (and logged once) if it is missing or unreadable. */
  private ModelRecord readManifest(Path dir, String name, int version, boolean startup) {
    Path manifest = dir.resolve(MANIFEST);
    try {
      ModelRecord record = json.fromJson(Files.readString(manifest, StandardCharsets.UTF_8), ModelRecord.class);
      if (!record.name().equals(name) || record.version() != version) {
        report(dir, "its manifest names " + record.ref(), true);
        return null;
      }
      return record;
    } catch (NoSuchFileException e) {
      report(dir, "it has no " + MANIFEST + " (a publish cut short, or one in progress)", startup);
      return null;
    } catch (IOException | JsonParseException | NullPointerException e) {
      report(dir, "its manifest is unreadable: " + e, true);
      return null;
    }
  }

  private void report(Path dir, String why, boolean warn) {
    if (reported.add(dir)) {
      if (warn) {
        LOG.warn("ignoring model folder {}: {}", dir, why);
      } else {
        LOG.debug("ignoring model folder {}: {}", dir, why);
      }
    }
  }

  private synchronized ModelRecord cached(String name, int version) {
    NavigableMap<Integer, ModelRecord> versions = index.get(name);
    return versions == null ? null : versions.get(version);
  }

  private synchronized void remember(ModelRecord record) {
    index.computeIfAbsent(record.name(), n -> new TreeMap<>()).put(record.version(), record);
  }

  private synchronized void forget(ModelRecord record) {
    NavigableMap<Integer, ModelRecord> versions = index.get(record.name());
    if (versions != null) {
      versions.remove(record.version());
      if (versions.isEmpty()) {
        index.remove(record.name());
      }
    }
  }

  /** The version a folder stands for, or 0 if its name is not a version. */
  private static int versionOf(Path dir) {
    String v = dir.getFileName().toString();
    return VERSION.matcher(v).matches() && Files.isDirectory(dir) ? Integer.parseInt(v) : 0;
  }
}
