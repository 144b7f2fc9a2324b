package dev.graft.server.core.store.sql;

import com.google.gson.JsonParseException;
import dev.graft.server.core.store.FileTrees;
import dev.graft.server.core.store.JsonCodec;
import dev.graft.server.core.store.ModelAliases;
import dev.graft.server.core.store.ModelRecord;
import dev.graft.server.core.store.ModelRef;
import dev.graft.server.core.store.ModelStore;
import dev.graft.server.core.store.blob.BlobCache;
import dev.graft.server.core.store.blob.BlobFolders;
import dev.graft.server.core.store.blob.BlobRef;
import dev.graft.server.core.store.blob.BlobStore;
import dev.graft.spi.ErrorKind;
import dev.graft.spi.GraftException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The shared {@link ModelStore}: each version is a row of {@code model_versions} (its
 * {@link ModelRecord} as {@code record}, its files as {@code files}: relative path → SHA-256 and
 * size) and its files are content-addressed blobs in a {@link BlobStore}.
 *
 * <p><b>Publication</b>: {@link #create} uploads every staged file first ({@link
 * BlobFolders#upload}; a blob stored already is not sent again), then in one transaction takes
 * version = the highest of the name, deleted rows included, + 1 and inserts the row. The primary
 * key {@code (name, version)} decides between replicas publishing at once: the loser's insert
 * does nothing and it takes the next number, in the same transaction. A failure before the commit
 * (object store or database down, a crash) leaves no row, at most blobs nothing references, which
 * the {@link dev.graft.server.core.store.blob.BlobGarbageCollector} removes (see {@link
 * SqlBlobReferences}).
 *
 * <p><b>Deletion</b> sets {@code deleted_at} and empties {@code files} in one statement: the row
 * stays so the number is never reused ({@code name@version} names one model forever, on every
 * replica), and its blobs are no longer referenced.
 *
 * <p><b>Reads</b> ask the database every time, so versions created or deleted by another replica
 * are seen at once; records are immutable, so a bounded in-memory map spares parsing them again.
 *
 * <p><b>Files</b>: {@link #directory} materialises a version's blobs through a {@link BlobCache}
 * (downloaded and checksum-verified on first use) and holds the cache entry's lease for the caller
 * ({@link CacheLeases}): the folder is guaranteed in place until {@code leaseHold} after the last
 * {@code directory()} call for that version, or until the version is deleted through this store,
 * or the store is closed; after that it stays cached until the LRU bound needs the space.
 * {@link #newStagingDirectory} is a local folder.
 *
 * <p>Thread-safe. {@link #close} ends the leases; the database, blob store and cache belong to
 * the caller. Failures are {@link GraftException}s: UNAVAILABLE {@code STORE_UNAVAILABLE} (database)
 * or {@code BLOB_STORE_UNAVAILABLE} (object store) when a backend is down, INTERNAL {@code
 * STORE_DATABASE} for a row that cannot be read, {@code STORE_IO} for the local staging folder.
 */
public final class SqlModelStore implements ModelStore, AutoCloseable {
  /** How long {@link #directory} guarantees a version's folder after the last call, by default. */
  public static final Duration DEFAULT_LEASE_HOLD = Duration.ofHours(1);
  static final String STORE_IO = "STORE_IO";
  private static final Logger LOG = LoggerFactory.getLogger(SqlModelStore.class);
  private static final int MAX_PUBLISH_ATTEMPTS = 1000;
  private static final int RECORD_CACHE_SIZE = 4096;

  private final Database db;
  private final BlobStore blobs;
  private final CacheLeases leases;
  private final JsonCodec json;
  private final Path staging;
  private final SqlModelAliases aliases;
  /** ref → record, least recently used first; guarded by itself. Records never change. */
  private final Map<String, ModelRecord> records = new LinkedHashMap<>(64, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, ModelRecord> eldest) {
      return size() > RECORD_CACHE_SIZE;
    }
  };

  /**
   * @param cache the local download cache of blobs
   * @param leaseHold how long a version's folder stays guaranteed after the last {@link #directory}
   * @param staging a local folder for {@link #newStagingDirectory}, created if absent
   */
  public SqlModelStore(Database db, BlobStore blobs, BlobCache cache, Duration leaseHold, JsonCodec json,
      Path staging) {
    this.db = Objects.requireNonNull(db, "db");
    this.blobs = Objects.requireNonNull(blobs, "blobs");
    this.leases = new CacheLeases(cache, leaseHold);
    this.json = Objects.requireNonNull(json, "json");
    this.staging = Objects.requireNonNull(staging, "staging");
    this.aliases = new SqlModelAliases(db);
  }

  @Override
  public ModelAliases aliases() {
    return aliases;
  }

  @Override
  public Path newStagingDirectory() throws IOException {
    Path dir = staging.resolve("model-" + UUID.randomUUID());
    Files.createDirectories(dir);
    return dir;
  }

  /**
   * Uploads the staged files, then inserts the version in one transaction; on success the staged
   * folder is deleted. See the class comment.
   *
   * @throws GraftException INVALID_ARGUMENT for a bad name or a file named manifest.json;
   *     UNAVAILABLE when the object store or the database is down (no version was stored);
   *     INTERNAL STORE_IO when the staged folder cannot be read
   */
  @Override
  public ModelRecord create(ModelRecord draft, Path stagedFiles) {
    ModelStore.validateName(draft.name(), "name");
    if (!Files.isDirectory(stagedFiles)) {
      throw GraftException.internal(STORE_IO, "cannot store model '" + draft.name() + "': the staged folder "
          + stagedFiles + " is missing", null);
    }
    if (Files.exists(stagedFiles.resolve(MANIFEST))) {
      throw GraftException.invalidArgument(
          "", "RESERVED_FILE_NAME", "a model file may not be named " + MANIFEST + ": the store writes it");
    }
    Map<String, BlobRef> files = BlobFolders.upload(blobs, stagedFiles);
    ModelRecord sized = draft.withSizeBytes(BlobFolders.totalSize(files))
        .withCreateTime(draft.createTime() != null ? draft.createTime() : Instant.now());
    ModelRecord record = db.transaction("cannot store model '" + draft.name() + "'", c -> insert(c, sized, files));
    remember(record);
    deleteStaged(stagedFiles);
    LOG.debug("stored model {} ({} files, {} bytes)", record.ref(), files.size(), record.sizeBytes());
    return record;
  }

  /** As {@link #create}, under a transaction-scoped lock on the name, so one replica stores it. */
  @Override
  public Optional<ModelRecord> createIfAbsent(ModelRecord draft, Path stagedFiles) {
    ModelStore.validateName(draft.name(), "name");
    if (find(draft.name()).isPresent()) {
      return Optional.empty();
    }
    Map<String, BlobRef> files = BlobFolders.upload(blobs, stagedFiles);
    ModelRecord sized = draft.withSizeBytes(BlobFolders.totalSize(files))
        .withCreateTime(draft.createTime() != null ? draft.createTime() : Instant.now());
    Optional<ModelRecord> stored = db.transaction("cannot store model '" + draft.name() + "'", c -> {
      try (PreparedStatement lock = c.prepareStatement("SELECT pg_advisory_xact_lock(hashtext(?))")) {
        lock.setString(1, "graft-model:" + draft.name());
        lock.execute();
      }
      try (PreparedStatement live = c.prepareStatement(
          "SELECT 1 FROM model_versions WHERE name = ? AND deleted_at IS NULL LIMIT 1")) {
        live.setString(1, draft.name());
        try (ResultSet rs = live.executeQuery()) {
          if (rs.next()) {
            return Optional.<ModelRecord>empty();
          }
        }
      }
      return Optional.of(insert(c, sized, files));
    });
    stored.ifPresent(r -> {
      remember(r);
      deleteStaged(stagedFiles);
    });
    return stored;
  }

  @Override
  public Optional<ModelRecord> find(String ref) {
    ModelRef r = ModelRef.parse(ref, "name");
    return db.read("cannot read model '" + ref + "'", c -> {
      int version = liveVersion(c, r);
      if (version == 0) {
        return Optional.empty();
      }
      ModelRecord known = cached(r.name(), version);
      if (known != null) {
        return Optional.of(known);
      }
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT record::text FROM model_versions WHERE name = ? AND version = ? AND deleted_at IS NULL")) {
        ps.setString(1, r.name());
        ps.setInt(2, version);
        try (ResultSet rs = ps.executeQuery()) {
          return rs.next() ? Optional.of(parse(r.name(), version, rs.getString(1))) : Optional.empty();
        }
      }
    });
  }

  /** The names of live models, from the database; when it is down, the names this replica has seen. */
  @Override
  public List<String> names() {
    try {
      return db.read("cannot list models", c -> {
        List<String> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(
            "SELECT DISTINCT name FROM model_versions WHERE deleted_at IS NULL ORDER BY name");
            ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            out.add(rs.getString(1));
          }
        }
        return out;
      });
    } catch (GraftException e) {
      if (e.kind() != ErrorKind.UNAVAILABLE) {
        throw e;
      }
      synchronized (records) {
        return records.values().stream().map(ModelRecord::name).distinct().sorted().toList();
      }
    }
  }

  @Override
  public List<ModelRecord> list() {
    return db.read("cannot list models", c -> {
      List<ModelRecord> out = new ArrayList<>();
      try (PreparedStatement ps = c.prepareStatement("SELECT name, version, record::text FROM model_versions"
          + " WHERE deleted_at IS NULL ORDER BY name, version");
          ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          String name = rs.getString(1);
          int version = rs.getInt(2);
          ModelRecord known = cached(name, version);
          out.add(known != null ? known : parse(name, version, rs.getString(3)));
        }
      }
      return out;
    });
  }

  /**
   * Marks the version deleted and empties its files in one statement; its number stays taken.
   * This replica's lease on its files ends.
   *
   * @throws GraftException NOT_FOUND reason MODEL_NOT_FOUND
   */
  @Override
  public ModelRecord delete(String ref) {
    ModelRecord record = get(ref);
    boolean deleted = db.read("cannot delete model '" + record.ref() + "'", c -> {
      try (PreparedStatement ps = c.prepareStatement("UPDATE model_versions SET deleted_at = now(),"
          + " files = '{}'::jsonb WHERE name = ? AND version = ? AND deleted_at IS NULL")) {
        ps.setString(1, record.name());
        ps.setInt(2, record.version());
        return ps.executeUpdate() == 1;
      }
    });
    forget(record);
    leases.release(record.ref());
    if (!deleted) {
      throw GraftException.notFound(MODEL_NOT_FOUND, "model '" + ref + "' not found");
    }
    return record;
  }

  /**
   * A verified local copy of the version's files, leased for this store's lease hold (see the
   * class comment). Downloads on first use.
   *
   * @throws GraftException NOT_FOUND MODEL_NOT_FOUND when the version was deleted; the object
   *     store's errors (UNAVAILABLE BLOB_STORE_UNAVAILABLE, DATA_LOSS BLOB_CHECKSUM_MISMATCH, ...)
   */
  @Override
  public Path directory(ModelRecord record) {
    Map<String, BlobRef> files = db.read("cannot read the files of model '" + record.ref() + "'", c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT files::text FROM model_versions WHERE name = ? AND version = ? AND deleted_at IS NULL")) {
        ps.setString(1, record.name());
        ps.setInt(2, record.version());
        try (ResultSet rs = ps.executeQuery()) {
          return rs.next() ? parseFiles(record.ref(), rs.getString(1)) : null;
        }
      }
    });
    if (files == null) {
      throw GraftException.notFound(MODEL_NOT_FOUND, "model '" + record.ref() + "' not found (it was deleted)");
    }
    return leases.hold(record.ref(), files);
  }

  /**
   * Imports a version of another store ({@code graft store migrate}) under its own number: the
   * files of {@code folder} (all but a top-level {@value #MANIFEST}) are uploaded, then the row is
   * inserted with {@code record} as it is (version, create time, size, job). Idempotent: when the
   * row exists already with the same record and files nothing is uploaded or changed (PRESENT);
   * when it exists otherwise (another model, other files, or deleted here) it is left alone
   * (CONFLICT).
   *
   * @param record a stored record: its version and create time set
   * @throws GraftException INVALID_ARGUMENT for a bad name; UNAVAILABLE when a backend is down
   *     (nothing was inserted; importing again resumes); INTERNAL BLOB_IO when the folder cannot be read
   */
  public ImportResult importVersion(ModelRecord record, Path folder) {
    return importVersion(record, folder, BlobFolders.describe(folder, p -> !p.equals(MANIFEST)));
  }

  /** As {@link #importVersion(ModelRecord, Path)} with the folder's files already described ({@link BlobFolders#describe}). */
  public ImportResult importVersion(ModelRecord record, Path folder, Map<String, BlobRef> files) {
    ModelStore.validateName(record.name(), "name");
    if (record.version() <= 0 || record.createTime() == null) {
      throw new IllegalArgumentException("not a stored record (version and create time set): " + record.ref());
    }
    String recordJson = JsonColumns.record(json, record);
    String filesJson = JsonColumns.files(files);
    String what = "cannot import model '" + record.ref() + "'";
    Optional<ImportResult> there = db.read(what, c -> imported(c, record.name(), record.version(), recordJson,
        filesJson));
    if (there.isPresent()) {
      return there.get();
    }
    List<BlobRef> sent = BlobFolders.upload(blobs, folder, files);
    ImportResult result = db.transaction(what, c -> {
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO model_versions (name, version, record, files,"
          + " job_id, created_at) VALUES (?, ?, ?::jsonb, ?::jsonb, ?, ?) ON CONFLICT (name, version) DO NOTHING")) {
        ps.setString(1, record.name());
        ps.setInt(2, record.version());
        ps.setString(3, recordJson);
        ps.setString(4, filesJson);
        ps.setString(5, record.jobId());
        ps.setObject(6, OffsetDateTime.ofInstant(record.createTime(), ZoneOffset.UTC));
        if (ps.executeUpdate() == 1) {
          return ImportResult.copied(sent.size(), sent.stream().mapToLong(BlobRef::size).sum());
        }
      }
      // inserted meanwhile by another import
      return imported(c, record.name(), record.version(), recordJson, filesJson).orElseThrow();
    });
    if (result.outcome() == ImportResult.Outcome.COPIED) {
      remember(record);
    }
    return result;
  }

  /**
   * Imports a deleted version of another store: a deleted row (no files) keeps its number taken,
   * as {@link #delete} leaves it. The source kept no record of it, so the row's {@code record}
   * holds only its name and version. Idempotent: PRESENT when the version is deleted here already,
   * CONFLICT when it is live here.
   *
   * @param deletedAt when it was deleted (also stored as its create time, which is unknown)
   */
  public ImportResult importDeletedVersion(String name, int version, Instant deletedAt) {
    ModelStore.validateName(name, "name");
    if (version <= 0) {
      throw new IllegalArgumentException("not a version number: " + version);
    }
    com.google.gson.JsonObject stub = new com.google.gson.JsonObject();
    stub.addProperty("name", name);
    stub.addProperty("version", version);
    OffsetDateTime at = OffsetDateTime.ofInstant(deletedAt, ZoneOffset.UTC);
    return db.transaction("cannot import deleted model '" + name + "@" + version + "'", c -> {
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO model_versions (name, version, record, files,"
          + " job_id, created_at, deleted_at) VALUES (?, ?, ?::jsonb, '{}'::jsonb, '', ?, ?)"
          + " ON CONFLICT (name, version) DO NOTHING")) {
        ps.setString(1, name);
        ps.setInt(2, version);
        ps.setString(3, stub.toString());
        ps.setObject(4, at);
        ps.setObject(5, at);
        if (ps.executeUpdate() == 1) {
          return ImportResult.copied(0, 0);
        }
      }
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT deleted_at IS NOT NULL FROM model_versions WHERE name = ? AND version = ?")) {
        ps.setString(1, name);
        ps.setInt(2, version);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          return rs.getBoolean(1) ? ImportResult.present("")
              : ImportResult.conflict("deleted in the source, live in the shared store");
        }
      }
    });
  }

  /** Whether an import of {@code name@version} is there already: empty when there is no such row. */
  private static Optional<ImportResult> imported(Connection c, String name, int version, String recordJson,
      String filesJson) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT deleted_at IS NOT NULL, record = ?::jsonb,"
        + " files = ?::jsonb FROM model_versions WHERE name = ? AND version = ?")) {
      ps.setString(1, recordJson);
      ps.setString(2, filesJson);
      ps.setString(3, name);
      ps.setInt(4, version);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        if (rs.getBoolean(1)) {
          return Optional.of(ImportResult.conflict("live in the source, deleted in the shared store"));
        }
        if (!rs.getBoolean(2)) {
          return Optional.of(ImportResult.conflict("the shared store holds another model under this version"));
        }
        if (!rs.getBoolean(3)) {
          return Optional.of(ImportResult.conflict("the shared store holds other files for this version"));
        }
        return Optional.of(ImportResult.present(""));
      }
    }
  }

  /** Ends every lease this store holds on cached files. */
  @Override
  public void close() {
    leases.close();
  }

  // ---------------------------------------------------------------------------------------------

  /** Inserts {@code draft} as the next free version of its name; retries the next number on a conflict. */
  private ModelRecord insert(Connection c, ModelRecord draft, Map<String, BlobRef> files) throws SQLException {
    String filesJson = JsonColumns.files(files);
    int version = highestVersion(c, draft.name()) + 1;
    for (int attempt = 0; attempt < MAX_PUBLISH_ATTEMPTS; attempt++) {
      ModelRecord record = draft.withVersion(version);
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO model_versions (name, version, record, files,"
          + " job_id, created_at) VALUES (?, ?, ?::jsonb, ?::jsonb, ?, ?) ON CONFLICT (name, version) DO NOTHING")) {
        ps.setString(1, record.name());
        ps.setInt(2, version);
        ps.setString(3, JsonColumns.record(json, record));
        ps.setString(4, filesJson);
        ps.setString(5, record.jobId());
        ps.setObject(6, OffsetDateTime.ofInstant(record.createTime(), ZoneOffset.UTC));
        if (ps.executeUpdate() == 1) {
          return record;
        }
      }
      // Another replica took this number: the next statement sees its row (read committed).
      version = Math.max(version + 1, highestVersion(c, draft.name()) + 1);
    }
    throw new GraftException(ErrorKind.ABORTED, "VERSION_CONFLICT",
        "could not claim a version of model '" + draft.name() + "' in " + MAX_PUBLISH_ATTEMPTS + " attempts");
  }

  /** The highest version of {@code name} ever stored, deleted ones included; 0 if none. */
  private static int highestVersion(Connection c, String name) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT COALESCE(MAX(version), 0) FROM model_versions WHERE name = ?")) {
      ps.setString(1, name);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    }
  }

  /** The live version {@code ref} names (latest, exact or through its alias), or 0. */
  private static int liveVersion(Connection c, ModelRef ref) throws SQLException {
    String sql;
    if (!ref.alias().isEmpty()) {
      sql = "SELECT v.version FROM model_aliases a JOIN model_versions v ON v.name = a.name AND v.version = a.version"
          + " WHERE a.name = ? AND a.alias = ? AND v.deleted_at IS NULL";
    } else if (ref.version() > 0) {
      sql = "SELECT version FROM model_versions WHERE name = ? AND version = ? AND deleted_at IS NULL";
    } else {
      sql = "SELECT version FROM model_versions WHERE name = ? AND deleted_at IS NULL ORDER BY version DESC LIMIT 1";
    }
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, ref.name());
      if (!ref.alias().isEmpty()) {
        ps.setString(2, ref.alias());
      } else if (ref.version() > 0) {
        ps.setInt(2, ref.version());
      }
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getInt(1) : 0;
      }
    }
  }

  private ModelRecord parse(String name, int version, String text) {
    ModelRecord record;
    try {
      record = JsonColumns.record(json, text, ModelRecord.class);
    } catch (JsonParseException | NullPointerException e) {
      throw GraftException.internal(SqlErrors.STORE_DATABASE,
          "the record of model " + name + "@" + version + " in the store's database is unreadable: " + e, e);
    }
    if (!record.name().equals(name) || record.version() != version) {
      throw GraftException.internal(SqlErrors.STORE_DATABASE, "the row of model " + name + "@" + version
          + " in the store's database holds the record of " + record.ref(), null);
    }
    remember(record);
    return record;
  }

  private static Map<String, BlobRef> parseFiles(String ref, String text) {
    try {
      return JsonColumns.files(text);
    } catch (JsonParseException e) {
      throw GraftException.internal(SqlErrors.STORE_DATABASE,
          "the files of model " + ref + " in the store's database are unreadable: " + e.getMessage(), e);
    }
  }

  private ModelRecord cached(String name, int version) {
    synchronized (records) {
      return records.get(name + "@" + version);
    }
  }

  private void remember(ModelRecord record) {
    synchronized (records) {
      records.put(record.ref(), record);
    }
  }

  private void forget(ModelRecord record) {
    synchronized (records) {
      records.remove(record.ref());
    }
  }

  private static void deleteStaged(Path dir) {
    try {
      FileTrees.deleteRecursively(dir);
    } catch (IOException e) {
      LOG.warn("cannot delete the staged model folder {}: {}", dir, e.toString());
    }
  }
}
