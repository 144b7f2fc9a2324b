package dev.graft.server.core.store.sql;

import dev.graft.server.core.store.JobQueue;
import dev.graft.spi.GraftException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The cluster's {@link JobQueue} in the {@code job_queue} table. A claim is an {@code UPDATE} of
 * the next unclaimed row, picked with {@code FOR UPDATE SKIP LOCKED} (highest priority, then
 * oldest), so replicas claiming at once never wait on each other nor take the same job. A claim
 * holds while its replica's heartbeat in {@code instances} is younger than {@code lease}.
 * Replicas look for work by claiming (every 0.5 s while they have a free slot: see {@code
 * ClusterJobs}); an unsuccessful claim is one indexed query.
 *
 * <p>Thread-safe: every call is one transaction on a pooled connection.
 */
public final class SqlJobQueue implements JobQueue {
  private final Database db;
  private final String instanceId;
  private final Duration lease;

  /**
   * @param instanceId this replica's id in {@code instances}
   * @param lease how long after its last heartbeat a replica counts as dead
   */
  public SqlJobQueue(Database db, String instanceId, Duration lease) {
    this.db = Objects.requireNonNull(db, "db");
    this.instanceId = Objects.requireNonNull(instanceId, "instanceId");
    this.lease = Objects.requireNonNull(lease, "lease");
  }

  @Override
  public void enqueue(String id, String pool, int priority, String command, int capacity) {
    db.transaction("cannot queue job " + id, c -> {
      try (PreparedStatement lock = c.prepareStatement("SELECT pg_advisory_xact_lock(hashtext(?))")) {
        lock.setString(1, "graft-queue:" + pool);
        lock.execute();
      }
      long waiting;
      try (PreparedStatement count = c.prepareStatement(
          "SELECT count(*) FROM job_queue WHERE pool = ? AND claimed_by IS NULL")) {
        count.setString(1, pool);
        try (ResultSet rs = count.executeQuery()) {
          rs.next();
          waiting = rs.getLong(1);
        }
      }
      if (waiting >= capacity) {
        throw GraftException.resourceExhausted("QUEUE_FULL", "pool '" + pool + "' has " + waiting
            + " jobs waiting across the cluster, the most queue-capacity=" + capacity + " allows; try later");
      }
      try (PreparedStatement insert = c.prepareStatement("INSERT INTO job_queue (id, pool, priority, command,"
          + " enqueued_at) VALUES (?, ?, ?, ?, now())")) {
        insert.setString(1, id);
        insert.setString(2, pool);
        insert.setInt(3, priority);
        insert.setString(4, command);
        insert.executeUpdate();
      }
      return null;
    });
  }

  @Override
  public Optional<Claim> claim(String pool) {
    return db.transaction("cannot claim a job of pool " + pool, c -> {
      try (PreparedStatement claim = c.prepareStatement("UPDATE job_queue SET claimed_by = ?, claimed_at = now(),"
          + " attempts = attempts + 1 WHERE id = (SELECT id FROM job_queue WHERE pool = ? AND claimed_by IS NULL"
          + " ORDER BY priority DESC, enqueued_at, id FOR UPDATE SKIP LOCKED LIMIT 1)"
          + " RETURNING id, pool, priority, command, attempts")) {
        claim.setString(1, instanceId);
        claim.setString(2, pool);
        try (ResultSet rs = claim.executeQuery()) {
          if (!rs.next()) {
            return Optional.empty();
          }
          return Optional.of(new Claim(rs.getString(1), rs.getString(2), rs.getInt(3), rs.getString(4),
              rs.getInt(5)));
        }
      }
    });
  }

  @Override
  public boolean removeIfUnclaimed(String id) {
    return db.transaction("cannot remove job " + id + " from the queue",
        c -> update(c, "DELETE FROM job_queue WHERE id = ? AND claimed_by IS NULL", id) > 0);
  }

  @Override
  public void finished(String id) {
    db.transaction("cannot remove job " + id + " from the queue",
        c -> update(c, "DELETE FROM job_queue WHERE id = ?", id));
  }

  @Override
  public boolean contains(String id) {
    return db.read("cannot read the queue", c -> {
      try (PreparedStatement s = c.prepareStatement("SELECT 1 FROM job_queue WHERE id = ?")) {
        s.setString(1, id);
        try (ResultSet rs = s.executeQuery()) {
          return rs.next();
        }
      }
    });
  }

  @Override
  public List<Lost> sweepLost(int maxAttempts) {
    return db.transaction("cannot look for jobs of lost replicas", c -> {
      List<Lost> lost = new ArrayList<>();
      try (PreparedStatement s = c.prepareStatement("SELECT q.id, q.claimed_by, q.attempts FROM job_queue q"
          + " WHERE q.claimed_by IS NOT NULL AND NOT EXISTS (SELECT 1 FROM instances i WHERE i.id = q.claimed_by"
          + " AND i.heartbeat_at > now() - make_interval(secs => ?)) FOR UPDATE OF q SKIP LOCKED")) {
        s.setDouble(1, lease.toMillis() / 1000.0);
        try (ResultSet rs = s.executeQuery()) {
          while (rs.next()) {
            boolean requeue = rs.getInt(3) < maxAttempts;
            lost.add(new Lost(rs.getString(1), rs.getString(2), rs.getInt(3), requeue));
          }
        }
      }
      for (Lost l : lost) {
        if (l.requeued()) {
          update(c, "UPDATE job_queue SET claimed_by = NULL, claimed_at = NULL WHERE id = ?", l.id());
        } else {
          update(c, "DELETE FROM job_queue WHERE id = ?", l.id());
        }
      }
      return lost;
    });
  }

  @Override
  public Map<String, Depth> depth() {
    return db.read("cannot read the queue", c -> {
      Map<String, Depth> out = new TreeMap<>();
      try (PreparedStatement s = c.prepareStatement("SELECT pool, count(*) FILTER (WHERE claimed_by IS NULL),"
          + " count(*) FILTER (WHERE claimed_by IS NOT NULL) FROM job_queue GROUP BY pool");
          ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          out.put(rs.getString(1), new Depth(rs.getLong(2), rs.getLong(3)));
        }
      }
      return out;
    });
  }

  private static int update(Connection c, String sql, String id) throws SQLException {
    try (PreparedStatement s = c.prepareStatement(sql)) {
      s.setString(1, id);
      return s.executeUpdate();
    }
  }
}
