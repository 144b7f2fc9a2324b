package dev.graft.server.core.store.sql;

import com.google.gson.JsonParseException;
import dev.graft.server.core.store.DatasetRecord;
import dev.graft.server.core.store.JobRecord;
import dev.graft.server.core.store.JobState;
import dev.graft.server.core.store.JsonCodec;
import dev.graft.server.core.store.ModelRecord;
import dev.graft.server.core.store.blob.BlobErrors;
import dev.graft.server.core.store.blob.BlobFolders;
import dev.graft.server.core.store.blob.BlobInfo;
import dev.graft.server.core.store.blob.BlobRef;
import dev.graft.server.core.store.blob.BlobStore;
import dev.graft.server.core.store.blob.ContentAddress;
import dev.graft.spi.GraftException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Checks a shared store without changing it ({@code graft store verify}):
 *
 * <ul>
 *   <li>every live model version's row parses, names its row, records the size of its files, and
 *       each file's blob is in the object store with the recorded size (a stat, nothing
 *       downloaded; with {@code deep}, downloaded and its SHA-256 checked); a deleted version names
 *       no files;
 *   <li>every alias names a live version;
 *   <li>every dataset's row parses and its parts' blobs are there, as for models;
 *   <li>every job's row parses and agrees with its state column; an unfinished (QUEUED, RUNNING)
 *       job has a live owner or a row in the cluster's queue (else it awaits a recovery); a FAILED or
 *       CANCELLED job has an error; a SUCCEEDED job's result model was stored; a queue row belongs
 *       to an unfinished job; a running job's checkpoint blobs are there.
 * </ul>
 *
 * Each blob is checked once however many rows name it. Meant for a store whose servers are idle:
 * a publish or a job racing the check can still show. Not thread-safe; one use per check.
 */
public final class SharedStoreVerifier {
  private final Database db;
  private final BlobStore blobs;
  private final JsonCodec json;
  private final Duration lease;
  private final boolean deep;
  private final Path scratch;
  private final List<String> problems = new ArrayList<>();
  /** SHA-256 → what is wrong with its blob ("" when it is fine). */
  private final Map<String, String> checked = new HashMap<>();

  /**
   * @param lease how long a replica stays alive after its last heartbeat (the servers' lease)
   * @param deep whether to download every blob and check its SHA-256
   * @param scratch a local folder for the downloads of a deep check
   */
  public SharedStoreVerifier(Database db, BlobStore blobs, JsonCodec json, Duration lease, boolean deep,
      Path scratch) {
    this.db = Objects.requireNonNull(db, "db");
    this.blobs = Objects.requireNonNull(blobs, "blobs");
    this.json = Objects.requireNonNull(json, "json");
    this.lease = Objects.requireNonNull(lease, "lease");
    this.deep = deep;
    this.scratch = Objects.requireNonNull(scratch, "scratch");
  }

  /** What a check found: one line per problem, and how much was checked. */
  public record Report(List<String> problems, int models, int datasets, int jobs, int blobs) {
    public boolean consistent() {
      return problems.isEmpty();
    }

    /** The summary line of a consistent store, or of the number of problems. */
    public String summary() {
      String what = models + " model version(s), " + datasets + " dataset(s), " + jobs + " job(s), " + blobs
          + " blob(s)";
      return consistent() ? "store OK: " + what : problems.size() + " problem(s) in " + what;
    }
  }

  /**
   * Checks the store.
   *
   * @throws GraftException UNAVAILABLE when the database or the object store cannot be reached
   */
  public Report verify() {
    Set<String> stored = new HashSet<>();
    int models = checkModels(stored);
    checkAliases();
    int datasets = checkDatasets();
    int jobs = checkJobs(stored);
    checkQueue();
    checkCheckpoints();
    return new Report(List.copyOf(problems), models, datasets, jobs, checked.size());
  }

  private int checkModels(Set<String> stored) {
    List<Row> rows = db.read("cannot list model versions", c -> rows(c,
        "SELECT name || '@' || version, record::text, files::text, deleted_at IS NOT NULL FROM model_versions"
            + " ORDER BY name, version"));
    int live = 0;
    for (Row row : rows) {
      stored.add(row.id);
      String what = "model " + row.id;
      if (row.flag) {
        if (!row.files.equals("{}")) {
          problems.add(what + ": deleted, but its row still names files " + row.files);
        }
        continue;
      }
      live++;
      ModelRecord record;
      try {
        record = JsonColumns.record(json, row.record, ModelRecord.class);
      } catch (JsonParseException | NullPointerException | IllegalStateException e) {
        problems.add(what + ": its record is unreadable: " + e.getMessage());
        continue;
      }
      if (!record.ref().equals(row.id)) {
        problems.add(what + ": its row holds the record of " + record.ref());
      }
      Optional<Map<String, BlobRef>> files = files(what, row.files);
      if (files.isPresent()) {
        long total = BlobFolders.totalSize(files.get());
        if (total != record.sizeBytes()) {
          problems.add(what + ": its files total " + total + " bytes, its record says " + record.sizeBytes());
        }
        checkBlobs(what, files.get());
      }
    }
    return live;
  }

  private void checkAliases() {
    db.read("cannot list aliases", c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT a.name, a.alias, a.version, v.version IS NULL,"
          + " v.deleted_at IS NOT NULL FROM model_aliases a LEFT JOIN model_versions v"
          + " ON v.name = a.name AND v.version = a.version ORDER BY a.name, a.alias");
          ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          String alias = "alias " + rs.getString(1) + ":" + rs.getString(2);
          String ref = rs.getString(1) + "@" + rs.getInt(3);
          if (rs.getBoolean(4)) {
            problems.add(alias + ": names " + ref + ", which was never stored");
          } else if (rs.getBoolean(5)) {
            problems.add(alias + ": names " + ref + ", which is deleted");
          }
        }
      }
      return null;
    });
  }

  private int checkDatasets() {
    List<Row> rows = db.read("cannot list datasets", c -> rows(c,
        "SELECT id, record::text, files::text, false FROM datasets ORDER BY id"));
    for (Row row : rows) {
      String what = "dataset " + row.id;
      try {
        DatasetRecord record = JsonColumns.record(json, row.record, DatasetRecord.class);
        if (!record.id().equals(row.id)) {
          problems.add(what + ": its row holds the record of " + record.id());
        }
      } catch (JsonParseException | NullPointerException | IllegalStateException e) {
        problems.add(what + ": its record is unreadable: " + e.getMessage());
        continue;
      }
      Optional<Map<String, BlobRef>> files = files(what, row.files);
      if (files.isPresent()) {
        if (files.get().isEmpty()) {
          problems.add(what + ": its row names no parts");
        }
        checkBlobs(what, files.get());
      }
    }
    return rows.size();
  }

  private int checkJobs(Set<String> stored) {
    String fresh = "heartbeat_at > now() - interval '" + lease.toMillis() + " milliseconds'";
    return db.read("cannot list jobs", c -> {
      int count = 0;
      try (PreparedStatement ps = c.prepareStatement("SELECT j.id, j.owner, j.state, j.record::text,"
          + " EXISTS (SELECT 1 FROM instances i WHERE i.id = j.owner AND i." + fresh + "),"
          + " EXISTS (SELECT 1 FROM job_queue q WHERE q.id = j.id) FROM jobs j ORDER BY j.created_at, j.id");
          ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          count++;
          String id = rs.getString(1);
          String what = "job " + id;
          JobRecord job;
          try {
            job = JsonColumns.record(json, rs.getString(4), JobRecord.class);
          } catch (JsonParseException | NullPointerException | IllegalStateException e) {
            problems.add(what + ": its record is unreadable: " + e.getMessage());
            continue;
          }
          if (!job.id().equals(id)) {
            problems.add(what + ": its row holds the record of job " + job.id());
            continue;
          }
          if (!job.state().name().equals(rs.getString(3))) {
            problems.add(what + ": its row's state is " + rs.getString(3) + ", its record's " + job.state());
          }
          if (!job.state().terminal()) {
            if (!rs.getBoolean(5) && !rs.getBoolean(6)) {
              problems.add(what + ": " + job.state() + ", but its owner " + rs.getString(2) + " is not alive and it"
                  + " is not in the cluster's queue (the next server to start, or a live replica's recovery, ends it)");
            }
          } else if (job.state() == JobState.SUCCEEDED) {
            if (job.resultModel().isEmpty()) {
              problems.add(what + ": SUCCEEDED without a result model");
            } else if (!stored.contains(job.resultModel())) {
              problems.add(what + ": SUCCEEDED with result model " + job.resultModel() + ", which was never stored");
            }
          } else if (job.error() == null || job.error().reason().isEmpty()) {
            problems.add(what + ": " + job.state() + " without an error reason");
          }
        }
      }
      return count;
    });
  }

  private void checkQueue() {
    db.read("cannot list the cluster's queue", c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT q.id, j.state FROM job_queue q LEFT JOIN jobs j"
          + " ON j.id = q.id WHERE j.id IS NULL OR j.state NOT IN " + SqlJobStore.UNFINISHED + " ORDER BY q.id");
          ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          problems.add("queued job " + rs.getString(1) + ": " + (rs.getString(2) == null ? "no such job"
              : "the job is " + rs.getString(2) + ", yet it is still in the cluster's queue"));
        }
      }
      return null;
    });
  }

  private void checkCheckpoints() {
    List<Row> rows = db.read("cannot list job checkpoints", c -> rows(c,
        "SELECT job_id, '', files::text, false FROM job_checkpoints ORDER BY job_id"));
    for (Row row : rows) {
      String what = "checkpoint of job " + row.id;
      files(what, row.files).ifPresent(f -> checkBlobs(what, f));
    }
  }

  private Optional<Map<String, BlobRef>> files(String what, String text) {
    try {
      return Optional.of(JsonColumns.files(text));
    } catch (JsonParseException | IllegalArgumentException e) {
      problems.add(what + ": its files are unreadable: " + e.getMessage());
      return Optional.empty();
    }
  }

  /** Each file's blob: there, with its size (and, deep, its SHA-256). */
  private void checkBlobs(String what, Map<String, BlobRef> files) {
    files.forEach((path, ref) -> {
      String wrong = checked.computeIfAbsent(ref.sha256(), sha -> check(ref));
      if (!wrong.isEmpty()) {
        problems.add(what + ": file '" + path + "' (" + ref.key() + "): " + wrong);
      }
    });
  }

  private String check(BlobRef ref) {
    Optional<BlobInfo> info = blobs.stat(ref.key());
    if (info.isEmpty()) {
      return "missing from the object store";
    }
    if (info.get().size() != ref.size()) {
      return "the object store holds " + info.get().size() + " bytes, the row records " + ref.size();
    }
    if (!deep) {
      return "";
    }
    Path file = null;
    try {
      Files.createDirectories(scratch);
      file = Files.createTempFile(scratch, "verify-", ".blob");
      blobs.get(ref.key(), file);
      String sha = ContentAddress.sha256(file);
      return sha.equals(ref.sha256()) ? "" : "its content has SHA-256 " + sha;
    } catch (IOException e) {
      throw BlobErrors.io("cannot download " + ref.key() + " into " + scratch, e);
    } finally {
      if (file != null) {
        try {
          Files.deleteIfExists(file);
        } catch (IOException ignored) {
          // a temporary file
        }
      }
    }
  }

  private static List<Row> rows(Connection c, String sql) throws SQLException {
    List<Row> out = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        out.add(new Row(rs.getString(1), rs.getString(2), rs.getString(3), rs.getBoolean(4)));
      }
    }
    return out;
  }

  /** A row: its identity, record and files columns, and a flag (deleted, for model versions). */
  private record Row(String id, String record, String files, boolean flag) {}
}
