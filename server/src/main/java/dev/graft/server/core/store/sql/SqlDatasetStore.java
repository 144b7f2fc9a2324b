package dev.graft.server.core.store.sql;

import com.google.gson.JsonParseException;
import dev.graft.server.core.store.DatasetIntake;
import dev.graft.server.core.store.DatasetPublisher;
import dev.graft.server.core.store.DatasetRecord;
import dev.graft.server.core.store.DatasetSpecRecord;
import dev.graft.server.core.store.DatasetStore;
import dev.graft.server.core.store.DatasetUpload;
import dev.graft.server.core.store.FileTrees;
import dev.graft.server.core.store.JsonCodec;
import dev.graft.server.core.store.ManifestFiles;
import dev.graft.server.core.store.blob.BlobCache;
import dev.graft.server.core.store.blob.BlobFolders;
import dev.graft.server.core.store.blob.BlobRef;
import dev.graft.server.core.store.blob.BlobStore;
import dev.graft.spi.ErrorKind;
import dev.graft.spi.Example;
import dev.graft.spi.GraftException;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The shared {@link DatasetStore}: each dataset is a row of {@code datasets} (its {@link
 * DatasetRecord} as {@code record}, its parts as {@code files}) and its parts ({@code data},
 * {@code data.<part>}) are content-addressed blobs in a {@link BlobStore}. Uploads start and
 * examples are parsed by a {@link DatasetIntake}, as for the local store.
 *
 * <p><b>Publication</b> ({@link #publish}, called by an upload's commit): the parts are uploaded,
 * then the row is inserted under a fresh random id (another on the rare clash) in one statement, so
 * a dataset is visible whole or not at all; a failure before leaves only unreferenced blobs.
 * <b>Reads</b> ask the database every time, so another replica's datasets and deletions are seen
 * at once. The per-principal quota counts the principal's rows, on every replica.
 *
 * <p><b>Files</b>: {@link #examples} fetches the parts through the {@link BlobCache} only when the
 * parsed examples are not in memory, and holds the cache lease just while it parses them. {@link
 * #directory} holds its lease as {@link SqlModelStore#directory} does: until {@code leaseHold}
 * after the last call for that dataset, its deletion through this store, or {@link #close}.
 *
 * <p>Thread-safe. Uploads from {@link #begin} are owned and closed by the caller. Failures are
 * {@link GraftException}s: UNAVAILABLE {@code STORE_UNAVAILABLE} or {@code BLOB_STORE_UNAVAILABLE}
 * when a backend is down, INTERNAL {@code STORE_DATABASE} for a row that cannot be read.
 */
public final class SqlDatasetStore implements DatasetStore, DatasetPublisher, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SqlDatasetStore.class);
  private static final int MAX_PUBLISH_ATTEMPTS = 100;
  private static final String COLUMNS = "SELECT id, record::text FROM datasets";

  private final Database db;
  private final BlobStore blobs;
  private final BlobCache cache;
  private final CacheLeases leases;
  private final JsonCodec json;
  private final DatasetIntake intake;

  /**
   * @param intake starts uploads (staging them on local disk) and parses stored parts
   * @param leaseHold how long a dataset's folder stays guaranteed after the last {@link #directory}
   */
  public SqlDatasetStore(Database db, BlobStore blobs, BlobCache cache, Duration leaseHold, JsonCodec json,
      DatasetIntake intake) {
    this.db = Objects.requireNonNull(db, "db");
    this.blobs = Objects.requireNonNull(blobs, "blobs");
    this.cache = Objects.requireNonNull(cache, "cache");
    this.leases = new CacheLeases(cache, leaseHold);
    this.json = Objects.requireNonNull(json, "json");
    this.intake = Objects.requireNonNull(intake, "intake");
  }

  @Override
  public DatasetUpload begin(DatasetSpecRecord spec, String createdBy) {
    long held = db.read("cannot count the datasets of '" + createdBy + "'", c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM datasets WHERE created_by = ?")) {
        ps.setString(1, createdBy);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          return rs.getLong(1);
        }
      }
    });
    return intake.begin(spec, createdBy, held, this);
  }

  @Override
  public Optional<DatasetRecord> find(String idOrName) {
    if (idOrName == null || idOrName.isEmpty()) {
      return Optional.empty();
    }
    boolean byId = DatasetIntake.isId(idOrName);
    return db.read("cannot read dataset '" + idOrName + "'", c -> {
      try (PreparedStatement ps = c.prepareStatement(byId ? COLUMNS + " WHERE id = ?"
          : COLUMNS + " WHERE name = ? ORDER BY created_at DESC, id DESC LIMIT 1")) {
        ps.setString(1, idOrName);
        try (ResultSet rs = ps.executeQuery()) {
          return rs.next() ? Optional.of(parse(rs.getString(1), rs.getString(2))) : Optional.empty();
        }
      }
    });
  }

  @Override
  public List<String> names() {
    return db.read("cannot list datasets", c -> {
      List<String> out = new ArrayList<>();
      try (PreparedStatement ps = c.prepareStatement("SELECT DISTINCT name FROM datasets ORDER BY name");
          ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getString(1));
        }
      }
      return out;
    });
  }

  @Override
  public List<DatasetRecord> list() {
    List<DatasetRecord> out = db.read("cannot list datasets", c -> {
      List<DatasetRecord> rows = new ArrayList<>();
      try (PreparedStatement ps = c.prepareStatement(COLUMNS); ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          rows.add(parse(rs.getString(1), rs.getString(2)));
        }
      }
      return rows;
    });
    out.sort(DatasetStore.ORDER);
    return out;
  }

  /**
   * Deletes the row in one statement; its parts' blobs are then unreferenced (unless shared).
   *
   * @throws GraftException NOT_FOUND reason DATASET_NOT_FOUND
   */
  @Override
  public DatasetRecord delete(String idOrName) {
    DatasetRecord record = get(idOrName);
    boolean deleted = db.read("cannot delete dataset '" + record.id() + "'", c -> {
      try (PreparedStatement ps = c.prepareStatement("DELETE FROM datasets WHERE id = ?")) {
        ps.setString(1, record.id());
        return ps.executeUpdate() == 1;
      }
    });
    intake.forget(record.id());
    leases.release(record.id());
    if (!deleted) {
      throw GraftException.notFound(DATASET_NOT_FOUND, "dataset '" + idOrName + "' not found");
    }
    return record;
  }

  /** The parsed examples: from memory, else parsed from the parts fetched through the cache. */
  @Override
  public List<Example> examples(String idOrName) {
    DatasetRecord record = get(idOrName);
    Optional<List<Example>> cached = intake.cached(record.id());
    if (cached.isPresent()) {
      return cached.get();
    }
    try (BlobCache.Lease lease = cache.materialise(files(record))) {
      return intake.examples(record, lease.path());
    }
  }

  /**
   * A verified local copy of the dataset's parts, leased for this store's lease hold.
   *
   * @throws GraftException NOT_FOUND DATASET_NOT_FOUND when it was deleted; the object store's errors
   */
  @Override
  public Path directory(DatasetRecord record) {
    return leases.hold(record.id(), files(record));
  }

  /**
   * Uploads the staged parts, then inserts the row under a fresh id; the staged folder is deleted
   * once the row is committed (on failure the upload discards it).
   */
  @Override
  public DatasetRecord publish(Path staged, DatasetRecord draft, Map<String, ManifestFiles.Entry> files,
      List<Example> examples) throws IOException {
    Map<String, BlobRef> refs = BlobFolders.upload(blobs, staged);
    requireSameParts(draft, files, refs);
    DatasetRecord record = db.transaction("cannot store dataset '" + draft.name() + "'", c -> insert(c, draft, refs));
    intake.remember(record.id(), examples);
    try {
      FileTrees.deleteRecursively(staged);
    } catch (IOException e) {
      LOG.warn("cannot delete the staged dataset folder {}: {}", staged, e.toString());
    }
    LOG.debug("stored dataset {} '{}' ({} parts, {} bytes)", record.id(), record.name(), refs.size(),
        record.sizeBytes());
    return record;
  }

  /**
   * Imports a dataset of another store ({@code graft store migrate}) under its own id: the parts
   * in {@code folder} (all but a top-level manifest.json) are uploaded, then the row is inserted
   * with {@code record} as it is. Idempotent: PRESENT (nothing uploaded) when the row exists with
   * the same record and parts, CONFLICT (left alone) when it exists otherwise.
   *
   * @throws GraftException UNAVAILABLE when a backend is down (nothing was inserted; importing
   *     again resumes); INTERNAL BLOB_IO when the folder cannot be read
   */
  public ImportResult importDataset(DatasetRecord record, Path folder) {
    return importDataset(record, folder, BlobFolders.describe(folder, p -> !p.equals("manifest.json")));
  }

  /** As {@link #importDataset(DatasetRecord, Path)} with the parts already described ({@link BlobFolders#describe}). */
  public ImportResult importDataset(DatasetRecord record, Path folder, Map<String, BlobRef> refs) {
    if (!DatasetIntake.isId(record.id())) {
      throw new IllegalArgumentException("not a dataset id: " + record.id());
    }
    String recordJson = JsonColumns.record(json, record);
    String filesJson = JsonColumns.files(refs);
    String what = "cannot import dataset '" + record.id() + "'";
    Optional<ImportResult> there = db.read(what, c -> imported(c, record.id(), recordJson, filesJson));
    if (there.isPresent()) {
      return there.get();
    }
    List<BlobRef> sent = BlobFolders.upload(blobs, folder, refs);
    return db.transaction(what, c -> {
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO datasets (id, name, record, files, created_by,"
          + " created_at) VALUES (?, ?, ?::jsonb, ?::jsonb, ?, ?) ON CONFLICT (id) DO NOTHING")) {
        ps.setString(1, record.id());
        ps.setString(2, record.name());
        ps.setString(3, recordJson);
        ps.setString(4, filesJson);
        ps.setString(5, record.createdBy());
        ps.setObject(6, OffsetDateTime.ofInstant(record.createTime(), ZoneOffset.UTC));
        if (ps.executeUpdate() == 1) {
          return ImportResult.copied(sent.size(), sent.stream().mapToLong(BlobRef::size).sum());
        }
      }
      return imported(c, record.id(), recordJson, filesJson).orElseThrow();
    });
  }

  private static Optional<ImportResult> imported(Connection c, String id, String recordJson, String filesJson)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT record = ?::jsonb, files = ?::jsonb FROM datasets WHERE id = ?")) {
      ps.setString(1, recordJson);
      ps.setString(2, filesJson);
      ps.setString(3, id);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        if (!rs.getBoolean(1)) {
          return Optional.of(ImportResult.conflict("the shared store holds another dataset under this id"));
        }
        if (!rs.getBoolean(2)) {
          return Optional.of(ImportResult.conflict("the shared store holds other parts for this dataset"));
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

  private DatasetRecord insert(Connection c, DatasetRecord draft, Map<String, BlobRef> refs) throws SQLException {
    String filesJson = JsonColumns.files(refs);
    for (int attempt = 0; attempt < MAX_PUBLISH_ATTEMPTS; attempt++) {
      DatasetRecord record = draft.withId(intake.newId());
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO datasets (id, name, record, files, created_by,"
          + " created_at) VALUES (?, ?, ?::jsonb, ?::jsonb, ?, ?) ON CONFLICT (id) DO NOTHING")) {
        ps.setString(1, record.id());
        ps.setString(2, record.name());
        ps.setString(3, JsonColumns.record(json, record));
        ps.setString(4, filesJson);
        ps.setString(5, record.createdBy());
        ps.setObject(6, OffsetDateTime.ofInstant(record.createTime(), ZoneOffset.UTC));
        if (ps.executeUpdate() == 1) {
          return record;
        }
      }
    }
    throw new GraftException(ErrorKind.ABORTED, "ID_CONFLICT", "could not claim a dataset id");
  }

  /** The parts as uploaded must be the parts the upload hashed while receiving them. */
  private static void requireSameParts(DatasetRecord draft, Map<String, ManifestFiles.Entry> files,
      Map<String, BlobRef> refs) {
    boolean same = files.size() == refs.size() && files.entrySet().stream().allMatch(e -> {
      BlobRef ref = refs.get(e.getKey());
      return ref != null && ref.sha256().equals(e.getValue().sha256()) && ref.size() == e.getValue().size();
    });
    if (!same) {
      throw GraftException.internal(SqlModelStore.STORE_IO, "cannot store dataset '" + draft.name()
          + "': its staged parts " + refs.keySet() + " changed after they were received " + files.keySet(), null);
    }
  }

  /** The parts of a dataset, from its row. */
  private Map<String, BlobRef> files(DatasetRecord record) {
    String text = db.read("cannot read the parts of dataset '" + record.id() + "'", c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT files::text FROM datasets WHERE id = ?")) {
        ps.setString(1, record.id());
        try (ResultSet rs = ps.executeQuery()) {
          return rs.next() ? rs.getString(1) : null;
        }
      }
    });
    if (text == null) {
      throw GraftException.notFound(DATASET_NOT_FOUND, "dataset '" + record.id() + "' not found (it was deleted)");
    }
    try {
      return JsonColumns.files(text);
    } catch (JsonParseException e) {
      throw GraftException.internal(SqlErrors.STORE_DATABASE,
          "the parts of dataset " + record.id() + " in the store's database are unreadable: " + e.getMessage(), e);
    }
  }

  private DatasetRecord parse(String id, String text) {
    DatasetRecord record;
    try {
      record = JsonColumns.record(json, text, DatasetRecord.class);
    } catch (JsonParseException | NullPointerException e) {
      throw GraftException.internal(SqlErrors.STORE_DATABASE,
          "the record of dataset " + id + " in the store's database is unreadable: " + e, e);
    }
    if (!record.id().equals(id)) {
      throw GraftException.internal(SqlErrors.STORE_DATABASE,
          "the row of dataset " + id + " in the store's database holds the record of " + record.id(), null);
    }
    return record;
  }
}
