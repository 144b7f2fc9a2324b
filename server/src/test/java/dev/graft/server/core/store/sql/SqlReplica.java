package dev.graft.server.core.store.sql;

import dev.graft.server.PostgresServer;
import dev.graft.server.core.store.JobProgress;
import dev.graft.server.core.store.JobRecord;
import dev.graft.server.core.store.JobState;
import dev.graft.server.core.store.JsonCodec;
import dev.graft.spi.Hyperparameters;
import dev.graft.spi.Task;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

/**
 * One replica of the shared store in a test: its own pool, registration, job store and relay on a
 * database that other replicas share. Heartbeats are fast and the lease short, so a replica that
 * stops heartbeating is dead within a second.
 */
final class SqlReplica implements AutoCloseable {
  static final Duration HEARTBEAT = Duration.ofMillis(100);
  static final Duration LEASE = Duration.ofMillis(1000);

  final Database db;
  final Instances instances;
  final SqlJobStore store;
  final SqlJobRelay relay;

  private SqlReplica(Database db, Duration heartbeat, Duration lease, Duration sweep) {
    this.db = db;
    this.instances = Instances.register(db, heartbeat, lease);
    this.store = new SqlJobStore(db, instances, new JsonCodec());
    this.relay = new SqlJobRelay(db, store, instances, sweep);
  }

  /** A replica on {@code url} whose relay sweeps every {@code sweep}. */
  static SqlReplica open(PostgresServer server, DatabaseUrl url, Duration sweep) {
    return open(server, url, HEARTBEAT, LEASE, sweep);
  }

  /** A replica with its own heartbeat and lease (a long lease outlives a database restart). */
  static SqlReplica open(PostgresServer server, DatabaseUrl url, Duration heartbeat, Duration lease, Duration sweep) {
    return new SqlReplica(Database.open(url, Optional.of(server.password()), 4, Duration.ofSeconds(3)), heartbeat,
        lease, sweep);
  }

  /** A plain connection to {@code url}, behind the store's back. */
  static Connection connect(PostgresServer server, DatabaseUrl url) throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", PostgresServer.USER);
    p.setProperty("password", server.password());
    return DriverManager.getConnection(url.jdbcUrl(), p);
  }

  static JobRecord job(String id, JobState state) {
    Instant t = Instant.parse("2025-01-01T00:00:00Z");
    return new JobRecord(id, state, "minilm-l6@1", "feature-extraction", "sentiment", "", Task.CLASSIFICATION,
        "inline", "", 0.25f, new Hyperparameters(3, 0, 0, 0, 0, 7, Map.of()), "default", "cpu", 0, Map.of(),
        JobProgress.none(), List.of(), null, t, null, null, "alice");
  }

  /** Dies as a killed process would: no more heartbeats, no deregistration, nothing closed cleanly. */
  void crash() {
    relay.close();
    instances.abandon();
    db.close();
  }

  /** Stops as a server shutting down does: deregisters, so it is dead for others at once. */
  void leave() {
    close();
  }

  @Override
  public void close() {
    relay.close();
    instances.close();
    db.close();
  }
}
