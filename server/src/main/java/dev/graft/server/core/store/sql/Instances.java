package dev.graft.server.core.store.sql;

import dev.graft.spi.GraftException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This replica's registration in the shared store's {@code instances} table, and the liveness of
 * every replica: the shared backend's counterpart of {@link dev.graft.server.core.store.StoreLayout}'s
 * OS lock, which does not work without a shared folder.
 *
 * <p>{@link #register} inserts a row under a random id; a daemon thread then renews its
 * {@code heartbeat_at} every {@code heartbeat}. An instance is alive while its last heartbeat is
 * younger than {@code lease}, measured by the database's clock (so replicas' clocks need not
 * agree). A database outage does not stop the heartbeat: it is logged and retried, and the row is
 * written again when it is gone. Rows silent for a day are deleted by the heartbeats of any
 * replica. {@link #close()} stops the heartbeat and deletes the row, so the replica is dead at once.
 *
 * <p>Thread-safe.
 */
public final class Instances implements AutoCloseable {
  /** How long a replica stays alive after its last heartbeat, by default. */
  public static final Duration DEFAULT_LEASE = Duration.ofSeconds(15);
  /** How often a replica heartbeats, by default (a third of the lease: two may be lost). */
  public static final Duration DEFAULT_HEARTBEAT = Duration.ofSeconds(5);
  private static final Duration FORGET_AFTER = Duration.ofDays(1);
  private static final Logger LOG = LoggerFactory.getLogger(Instances.class);

  private final Database db;
  private final String id;
  private final String host;
  private final Duration lease;
  private final ScheduledExecutorService heartbeats;
  private volatile boolean failing;
  private volatile boolean closed;

  private Instances(Database db, String id, String host, Duration heartbeat, Duration lease) {
    this.db = db;
    this.id = id;
    this.host = host;
    this.lease = lease;
    this.heartbeats = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "graft-store-heartbeat");
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * Registers this replica under a new random id and starts heartbeating.
   *
   * @param heartbeat how often to renew the registration; shorter than {@code lease}
   * @param lease how long a silent replica stays alive
   * @throws GraftException UNAVAILABLE STORE_UNAVAILABLE when the database cannot be reached
   */
  public static Instances register(Database db, Duration heartbeat, Duration lease) {
    Objects.requireNonNull(db, "db");
    if (heartbeat.isNegative() || heartbeat.isZero() || heartbeat.compareTo(lease) >= 0) {
      throw new IllegalArgumentException("the heartbeat (" + heartbeat + ") must be positive and shorter than the"
          + " lease (" + lease + ")");
    }
    String id = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
    Instances instances = new Instances(db, id, hostName(), heartbeat, lease);
    db.transaction("cannot register this server in the store", c -> {
      instances.upsert(c);
      return null;
    });
    instances.heartbeats.scheduleWithFixedDelay(instances::beat, heartbeat.toMillis(), heartbeat.toMillis(),
        TimeUnit.MILLISECONDS);
    LOG.info("store {}: registered as instance {} on {}", db, id, instances.host);
    return instances;
  }

  /** Registers with the default heartbeat and lease. */
  public static Instances register(Database db) {
    return register(db, DEFAULT_HEARTBEAT, DEFAULT_LEASE);
  }

  /** This replica's id, the {@code owner} of the jobs it saves. */
  public String id() {
    return id;
  }

  /** How long a silent replica stays alive. */
  public Duration lease() {
    return lease;
  }

  /**
   * Whether instance {@code id} heartbeat within the lease. This replica is alive until closed
   * (even while the database is down, where its heartbeats fail); an unknown id is not alive.
   *
   * @throws GraftException UNAVAILABLE STORE_UNAVAILABLE when the database cannot be reached
   */
  public boolean isAlive(String instance) {
    if (id.equals(instance)) {
      return !closed;
    }
    return db.read("cannot read whether instance " + instance + " is alive", c -> isAlive(c, instance));
  }

  /** {@link #isAlive(String)} on a connection the caller holds. */
  boolean isAlive(Connection c, String instance) throws SQLException {
    if (id.equals(instance)) {
      return !closed;
    }
    try (PreparedStatement s = c.prepareStatement("SELECT 1 FROM instances WHERE id = ? AND " + freshHeartbeat())) {
      s.setString(1, instance);
      try (ResultSet rs = s.executeQuery()) {
        return rs.next();
      }
    }
  }

  /**
   * The ids of the instances alive now (this one included while it is open).
   *
   * @throws GraftException UNAVAILABLE STORE_UNAVAILABLE when the database cannot be reached
   */
  public Set<String> liveInstances() {
    Set<String> live = new LinkedHashSet<>();
    if (!closed) {
      live.add(id);
    }
    return db.read("cannot list the store's live instances", c -> {
      try (PreparedStatement s = c.prepareStatement(
          "SELECT id FROM instances WHERE " + freshHeartbeat() + " ORDER BY started_at, id");
          ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          live.add(rs.getString(1));
        }
      }
      return live;
    });
  }

  /**
   * The SQL condition, on a row of {@code instances}, that it heartbeat within the lease (the lease
   * is a number of milliseconds written into the text, never caller input).
   */
  String freshHeartbeat() {
    return "heartbeat_at > now() - interval '" + lease.toMillis() + " milliseconds'";
  }

  /** Stops heartbeating and deletes this replica's row: it is dead for every replica at once. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    abandon();
    try {
      db.transaction("cannot deregister instance " + id, c -> {
        try (PreparedStatement s = c.prepareStatement("DELETE FROM instances WHERE id = ?")) {
          s.setString(1, id);
          s.executeUpdate();
        }
        return null;
      });
      LOG.info("store {}: instance {} deregistered", db, id);
    } catch (GraftException e) {
      LOG.warn("store {}: cannot deregister instance {} ({}); it is dead once its lease of {} runs out", db, id,
          e.getMessage(), lease);
    }
  }

  /**
   * Stops heartbeating without deregistering, as a killed process would: other replicas take this
   * one for dead once the lease runs out. For tests of crash recovery.
   */
  void abandon() {
    closed = true;
    heartbeats.shutdownNow();
    try {
      heartbeats.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public String toString() {
    return "instance " + id + " of " + db;
  }

  /** One heartbeat; failures are logged (once per outage) and the next one tries again. */
  private void beat() {
    if (closed) {
      return;
    }
    try {
      db.transaction("cannot renew the registration of instance " + id, c -> {
        upsert(c);
        try (PreparedStatement s = c.prepareStatement("DELETE FROM instances WHERE heartbeat_at < now() - interval '"
            + FORGET_AFTER.toSeconds() + " seconds'")) {
          s.executeUpdate();
        }
        return null;
      });
      if (failing) {
        failing = false;
        LOG.info("store {}: instance {} heartbeats again", db, id);
      }
    } catch (RuntimeException e) {
      if (!failing) {
        failing = true;
        LOG.warn("store {}: instance {} cannot heartbeat ({}); retrying every beat; other replicas take it for dead"
            + " after {}", db, id, e.getMessage(), lease);
      }
    }
  }

  private void upsert(Connection c) throws SQLException {
    try (PreparedStatement s = c.prepareStatement("INSERT INTO instances (id, host, started_at, heartbeat_at)"
        + " VALUES (?, ?, now(), now()) ON CONFLICT (id) DO UPDATE SET heartbeat_at = now()")) {
      s.setString(1, id);
      s.setString(2, host);
      s.executeUpdate();
    }
  }

  private static String hostName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      return "unknown";
    }
  }
}
