package dev.graft.server.core.store.sql;

import com.google.gson.JsonParseException;
import dev.graft.server.core.store.JobRecord;
import dev.graft.server.core.store.JobRecovery;
import dev.graft.server.core.store.JobStore;
import dev.graft.server.core.store.JsonCodec;
import dev.graft.server.core.store.ModelRecord;
import dev.graft.spi.GraftException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The shared {@link JobStore}: one row of {@code jobs} per job, its record as {@code jsonb} and its
 * owner the {@link Instances#id()} of the replica that saved it last. Each save notifies channel
 * {@value Channels#JOBS} with the job id in the same transaction, so other replicas' watches
 * ({@link SqlJobRelay}) see the change as soon as it commits.
 *
 * <p>Jobs saved through this store are served from memory; others are read from the database, and
 * cached once terminal. {@link #recoverAfterRestart} ends the unfinished jobs whose owner is no
 * longer alive (its heartbeat lapsed or it deregistered), locking them with {@code FOR UPDATE SKIP
 * LOCKED} so that replicas recovering at once end each job once.
 *
 * <p>Thread-safe: saves of one id are serialised, saves of different ids run in parallel. Failures
 * are UNAVAILABLE {@code STORE_UNAVAILABLE} when the database is down, else INTERNAL {@code
 * STORE_DATABASE}.
 */
public final class SqlJobStore implements JobStore {
  /**
   * Jobs in the cluster's queue ({@code job_queue}) are not this store's to recover: the queue
   * re-queues or ends them when their replica dies ({@link SqlJobQueue#sweepLost}).
   */
  private static final String TERMINAL = "('SUCCEEDED', 'FAILED', 'CANCELLED')";
  private static final String NOT_QUEUED = " AND NOT EXISTS (SELECT 1 FROM job_queue q WHERE q.id = j.id)";
  private static final Logger LOG = LoggerFactory.getLogger(SqlJobStore.class);
  /** The states of a job that is not over, as SQL. */
  static final String UNFINISHED = "('QUEUED', 'RUNNING')";

  private final Database db;
  private final Instances instances;
  private final JsonCodec json;
  /** Jobs this instance saved: authoritative. */
  private final Map<String, JobRecord> owned = new ConcurrentHashMap<>();
  /** Terminal jobs of other instances (they never change). */
  private final Map<String, JobRecord> settled = new ConcurrentHashMap<>();

  public SqlJobStore(Database db, Instances instances, JsonCodec json) {
    this.db = Objects.requireNonNull(db, "db");
    this.instances = Objects.requireNonNull(instances, "instances");
    this.json = Objects.requireNonNull(json, "json");
  }

  /**
   * Upserts the job's row, with this instance as its owner, and notifies its watchers.
   *
   * @throws GraftException INVALID_ARGUMENT (field "id", reason INVALID_JOB_ID) for an invalid id;
   *     UNAVAILABLE STORE_UNAVAILABLE when the database cannot be reached
   */
  @Override
  public void save(JobRecord job) {
    JobRecovery.checkId(job.id());
    String record = JsonColumns.record(json, job);
    owned.compute(job.id(), (id, previous) -> db.transaction("cannot save job " + id, c -> {
      try (PreparedStatement s = c.prepareStatement(
          "INSERT INTO jobs (id, owner, state, record, created_at, updated_at)"
              + " VALUES (?, ?, ?, ?::jsonb, COALESCE(?::timestamptz, now()), now())"
              + " ON CONFLICT (id) DO UPDATE SET owner = EXCLUDED.owner, state = EXCLUDED.state,"
              + " record = EXCLUDED.record, updated_at = now()"
              // a replica cut off past its lease never overwrites what another made of the job
              + " WHERE jobs.owner = EXCLUDED.owner OR jobs.state NOT IN " + TERMINAL)) {
        s.setString(1, id);
        s.setString(2, instances.id());
        s.setString(3, job.state().name());
        s.setString(4, record);
        s.setString(5, job.createTime() == null ? null : job.createTime().toString());
        s.executeUpdate();
      }
      Channels.notify(c, Channels.JOBS, id);
      return job;
    }));
    settled.remove(job.id());
  }

  /**
   * The job: from memory once it ended, else from the database.
   *
   * @throws GraftException UNAVAILABLE STORE_UNAVAILABLE when it must be read and the database
   *     cannot be reached
   */
  @Override
  public Optional<JobRecord> find(String id) {
    if (!JobRecovery.validId(id)) {
      return Optional.empty();
    }
    // Only an ended job is served from memory: with the cluster's queue, another replica may
    // take over an unfinished job this one saved.
    JobRecord mine = owned.get(id);
    if (mine != null && mine.state().terminal()) {
      return Optional.of(mine);
    }
    JobRecord done = settled.get(id);
    if (done != null) {
      return Optional.of(done);
    }
    Optional<JobRecord> read = db.read("cannot read job " + id, c -> {
      try (PreparedStatement s = c.prepareStatement("SELECT record::text FROM jobs WHERE id = ?")) {
        s.setString(1, id);
        try (ResultSet rs = s.executeQuery()) {
          return rs.next() ? Optional.ofNullable(parse(id, rs.getString(1))) : Optional.<JobRecord>empty();
        }
      }
    });
    read.filter(j -> j.state().terminal()).ifPresent(j -> settled.put(id, j));
    return read;
  }

  /** Every job, newest first; records held in memory are not read again. */
  @Override
  public List<JobRecord> list() {
    Map<String, JobRecord> cached = new HashMap<>(settled);
    owned.values().stream().filter(j -> j.state().terminal()).forEach(j -> cached.put(j.id(), j));
    Map<String, JobRecord> all = db.read("cannot list jobs", c -> {
      Map<String, JobRecord> out = new HashMap<>();
      try (PreparedStatement s = c.prepareStatement(
          "SELECT id, CASE WHEN id = ANY(?) THEN NULL ELSE record::text END FROM jobs")) {
        s.setArray(1, c.createArrayOf("text", cached.keySet().toArray()));
        try (ResultSet rs = s.executeQuery()) {
          while (rs.next()) {
            String id = rs.getString(1);
            String text = rs.getString(2);
            JobRecord job = text == null ? cached.get(id) : parse(id, text);
            if (job != null) {
              out.put(id, job);
            }
          }
        }
      }
      return out;
    });
    for (JobRecord job : all.values()) {
      if (job.state().terminal() && !owned.containsKey(job.id())) {
        settled.putIfAbsent(job.id(), job);
      }
    }
    List<JobRecord> out = new ArrayList<>(all.values());
    out.sort(JobStore.NEWEST_FIRST);
    return out;
  }

  /**
   * Ends every QUEUED or RUNNING job whose owner is not alive, with end time now; this instance
   * becomes its owner. A job is SUCCEEDED when a live version of its output model names it in
   * {@code model_versions.job_id} (its server died after publishing), else FAILED with reason
   * {@code SERVER_RESTARTED} (see {@link JobRecovery#ended}). Rows another replica is recovering
   * at the same moment are skipped (it ends them).
   *
   * @return the jobs changed
   * @throws GraftException UNAVAILABLE STORE_UNAVAILABLE when the database cannot be reached
   */
  @Override
  public List<JobRecord> recoverAfterRestart() {
    Instant now = Instant.now();
    List<Recovery> changes = db.transaction("cannot recover the jobs of stopped servers", c -> {
      List<JobRecord> orphans = new ArrayList<>();
      try (PreparedStatement s = c.prepareStatement("SELECT j.id, j.record::text FROM jobs j"
          + " WHERE j.state IN " + UNFINISHED + " AND j.owner <> ?"
          + " AND NOT EXISTS (SELECT 1 FROM instances i WHERE i.id = j.owner AND i." + instances.freshHeartbeat() + ")"
          + NOT_QUEUED + " FOR UPDATE OF j SKIP LOCKED")) {
        s.setString(1, instances.id());
        try (ResultSet rs = s.executeQuery()) {
          while (rs.next()) {
            JobRecord before = parse(rs.getString(1), rs.getString(2));
            if (before != null && !before.state().terminal()) {
              orphans.add(before);
            }
          }
        }
      }
      List<Recovery> out = new ArrayList<>();
      for (JobRecord before : orphans) {
        JobRecord after = JobRecovery.ended(before, publishedBy(c, before), now);
        update(c, after);
        out.add(new Recovery(before, after));
      }
      return out;
    });
    List<JobRecord> recovered = new ArrayList<>();
    for (Recovery change : changes) {
      owned.put(change.after().id(), change.after());
      settled.remove(change.after().id());
      recovered.add(change.after());
      JobRecovery.log(LOG, change.before(), change.after());
    }
    return recovered;
  }

  /**
   * Imports a job of another store ({@code graft store migrate}) as it is, owned by {@code owner}
   * (an instance of that store, which is never alive here: an unfinished job is then ended by the
   * next recovery, as a restarted local server would). Inserted when absent; PRESENT when the row
   * holds the same record, or holds what recovery made of the unfinished job (it ended here);
   * CONFLICT (left alone) otherwise.
   *
   * @throws GraftException INVALID_ARGUMENT for an invalid id; UNAVAILABLE STORE_UNAVAILABLE
   */
  public ImportResult importJob(JobRecord job, String owner) {
    JobRecovery.checkId(job.id());
    String record = JsonColumns.record(json, job);
    return db.transaction("cannot import job " + job.id(), c -> {
      try (PreparedStatement s = c.prepareStatement("INSERT INTO jobs (id, owner, state, record, created_at,"
          + " updated_at) VALUES (?, ?, ?, ?::jsonb, COALESCE(?::timestamptz, now()), now())"
          + " ON CONFLICT (id) DO NOTHING")) {
        s.setString(1, job.id());
        s.setString(2, owner);
        s.setString(3, job.state().name());
        s.setString(4, record);
        s.setString(5, job.createTime() == null ? null : job.createTime().toString());
        if (s.executeUpdate() == 1) {
          return ImportResult.copied(0, 0);
        }
      }
      try (PreparedStatement s = c.prepareStatement("SELECT record = ?::jsonb, state FROM jobs WHERE id = ?")) {
        s.setString(1, record);
        s.setString(2, job.id());
        try (ResultSet rs = s.executeQuery()) {
          rs.next();
          if (rs.getBoolean(1)) {
            return ImportResult.present("");
          }
          String state = rs.getString(2);
          if (!job.state().terminal() && TERMINAL.contains("'" + state + "'")) {
            return ImportResult.present("ended here since (" + state + ")");
          }
          return ImportResult.conflict("the shared store holds another record for this job (" + state + ")");
        }
      }
    });
  }

  /**
   * The instance that saved job {@code id} last, if the job exists.
   *
   * @throws GraftException UNAVAILABLE STORE_UNAVAILABLE when the database cannot be reached
   */
  public Optional<String> owner(String id) {
    return db.read("cannot read the owner of job " + id, c -> {
      try (PreparedStatement s = c.prepareStatement("SELECT owner FROM jobs WHERE id = ?")) {
        s.setString(1, id);
        try (ResultSet rs = s.executeQuery()) {
          return rs.next() ? Optional.of(rs.getString(1)) : Optional.<String>empty();
        }
      }
    });
  }

  /**
   * Which of the jobs {@code ids} are unfinished with an owner that is not alive (they await
   * {@link #recoverAfterRestart}).
   */
  Set<String> orphaned(Collection<String> ids) {
    if (ids.isEmpty()) {
      return Set.of();
    }
    return db.read("cannot read whether the owners of jobs are alive", c -> {
      Set<String> out = new HashSet<>();
      try (PreparedStatement s = c.prepareStatement("SELECT j.id FROM jobs j WHERE j.id = ANY(?)"
          + " AND j.state IN " + UNFINISHED + " AND j.owner <> ?"
          + " AND NOT EXISTS (SELECT 1 FROM instances i WHERE i.id = j.owner AND i." + instances.freshHeartbeat()
          + ")" + NOT_QUEUED)) {
        s.setArray(1, c.createArrayOf("text", ids.toArray()));
        s.setString(2, instances.id());
        try (ResultSet rs = s.executeQuery()) {
          while (rs.next()) {
            out.add(rs.getString(1));
          }
        }
      }
      return out;
    });
  }

  /** The live version of the job's output model that names the job, if one was published. */
  private Optional<ModelRecord> publishedBy(Connection c, JobRecord job) throws SQLException {
    try (PreparedStatement s = c.prepareStatement("SELECT record::text FROM model_versions"
        + " WHERE job_id = ? AND name = ? AND deleted_at IS NULL ORDER BY version DESC LIMIT 1")) {
      s.setString(1, job.id());
      s.setString(2, job.outputModel());
      try (ResultSet rs = s.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        try {
          return Optional.of(JsonColumns.record(json, rs.getString(1), ModelRecord.class));
        } catch (JsonParseException | NullPointerException | IllegalStateException e) {
          LOG.warn("ignoring the unreadable record of a version of model '{}' naming job {}: {}", job.outputModel(),
              job.id(), e.toString());
          return Optional.empty();
        }
      }
    }
  }

  /** Rewrites a recovered job's row (this instance becomes its owner) and notifies its watchers. */
  private void update(Connection c, JobRecord job) throws SQLException {
    try (PreparedStatement s = c.prepareStatement(
        "UPDATE jobs SET owner = ?, state = ?, record = ?::jsonb, updated_at = now() WHERE id = ?")) {
      s.setString(1, instances.id());
      s.setString(2, job.state().name());
      s.setString(3, JsonColumns.record(json, job));
      s.setString(4, job.id());
      s.executeUpdate();
    }
    Channels.notify(c, Channels.JOBS, job.id());
  }

  /** A stored record; null (logged) when it is unreadable or holds another job. */
  private JobRecord parse(String id, String text) {
    try {
      JobRecord job = JsonColumns.record(json, text, JobRecord.class);
      if (!job.id().equals(id)) {
        LOG.warn("ignoring the row of job {}: it holds job {}", id, job.id());
        return null;
      }
      return job;
    } catch (JsonParseException | NullPointerException | IllegalStateException e) {
      LOG.warn("ignoring the unreadable record of job {}: {}", id, e.toString());
      return null;
    }
  }

  /** A job as its dead owner left it, and as recovery ended it. */
  private record Recovery(JobRecord before, JobRecord after) {}
}
