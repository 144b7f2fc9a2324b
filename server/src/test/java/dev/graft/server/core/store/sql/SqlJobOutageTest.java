package dev.graft.server.core.store.sql;

import static dev.graft.server.core.store.sql.SqlReplica.job;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.server.PostgresServer;
import dev.graft.server.core.jobs.JobEvent;
import dev.graft.server.core.store.JobProgress;
import dev.graft.server.core.store.JobRecord;
import dev.graft.server.core.store.JobState;
import dev.graft.spi.ErrorKind;
import dev.graft.spi.GraftException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * The shared job store and relay when the database goes away: saves fail UNAVAILABLE, heartbeats
 * resume, and cancel requests and job changes made while a replica was not listening still reach
 * it. Each test runs its own PostgreSQL, since it stops it. Replicas heartbeat every 200 ms with a
 * lease of 60 s, so no replica is taken for dead during an outage, and never sweep on a timer, so
 * only notifications and the catch-up after a reconnect can deliver.
 */
class SqlJobOutageTest {
  private static final Duration HEARTBEAT = Duration.ofMillis(200);
  private static final Duration LEASE = Duration.ofSeconds(60);
  private static final Duration NO_SWEEP = Duration.ofHours(1);

  @Test
  void aDatabaseRestartFailsSavesUnavailableThenEverythingResumes() throws Exception {
    try (PostgresServer pg = PostgresServer.startOrSkip()) {
      DatabaseUrl url = pg.newDatabase();
      try (SqlReplica a = SqlReplica.open(pg, url, HEARTBEAT, LEASE, NO_SWEEP);
          SqlReplica b = SqlReplica.open(pg, url, HEARTBEAT, LEASE, NO_SWEEP)) {
        BlockingQueue<String> cancelled = new LinkedBlockingQueue<>();
        a.relay.relayCancels(() -> Set.of("job-cancel-me"), cancelled::add);
        JobRecord toCancel = job("job-cancel-me", JobState.RUNNING);
        JobRecord watched = job("job-watched", JobState.RUNNING);
        a.store.save(toCancel);
        a.store.save(watched);
        BlockingQueue<JobEvent> events = new LinkedBlockingQueue<>();
        b.relay.watch(watched, events::add);
        events.take();

        pg.stop();
        long start = System.nanoTime();
        GraftException down = assertThrows(GraftException.class, () -> a.store.save(watched.withDevice("gpu:0")));
        assertEquals(ErrorKind.UNAVAILABLE, down.kind());
        assertEquals(SqlErrors.STORE_UNAVAILABLE, down.reason());
        assertTrue(Duration.ofNanos(System.nanoTime() - start).toSeconds() < 15);
        Instant restarted = Instant.now();
        pg.start();
        assertEquals(watched, retry(() -> a.store.find("job-watched").orElseThrow()), "a failed save changes nothing");

        JobRecord answer = retry(() -> b.relay.requestCancel(toCancel));
        assertEquals(JobState.RUNNING, answer.state());
        JobRecord epoch = watched.withProgress(new JobProgress(1, 3, 10, 30, 0.33, 0));
        retry(() -> {
          a.store.save(epoch);
          return null;
        });
        assertEquals("job-cancel-me", cancelled.poll(20, TimeUnit.SECONDS), "the cancel did not arrive");
        JobEvent event = events.poll(20, TimeUnit.SECONDS);
        assertNotNull(event, "the watch saw nothing after the restart");
        assertEquals(epoch, event.job());
        awaitHeartbeatAfter(pg, url, a.instances.id(), restarted);
      }
    }
  }

  @Test
  void whatHappensWhileAReplicaCannotListenReachesItWhenItListensAgain() throws Exception {
    try (PostgresServer pg = PostgresServer.startOrSkip()) {
      DatabaseUrl url = pg.newDatabase();
      String database = url.jdbcUrl().substring(url.jdbcUrl().lastIndexOf('/') + 1);
      try (SqlReplica a = SqlReplica.open(pg, url, HEARTBEAT, LEASE, NO_SWEEP);
          SqlReplica b = SqlReplica.open(pg, url, HEARTBEAT, LEASE, NO_SWEEP);
          Connection admin = pg.connect("postgres")) {
        BlockingQueue<String> cancelled = new LinkedBlockingQueue<>();
        a.relay.relayCancels(() -> Set.of("job-cancel-me"), cancelled::add);
        JobRecord toCancel = job("job-cancel-me", JobState.RUNNING);
        JobRecord watched = job("job-watched", JobState.RUNNING);
        a.store.save(toCancel);
        a.store.save(watched);
        BlockingQueue<JobEvent> events = new LinkedBlockingQueue<>();
        b.relay.watch(watched, events::add);
        events.take();
        awaitListeners(admin, database, 2);

        // No new connection to the database, and both listening connections cut: the pools keep theirs.
        try (Statement s = admin.createStatement()) {
          s.execute("ALTER DATABASE " + database + " ALLOW_CONNECTIONS false");
          s.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + database
              + "' AND application_name = '" + SqlJobRelay.APPLICATION_NAME + "'");
        }
        awaitListeners(admin, database, 0);
        b.relay.requestCancel(toCancel);
        JobRecord done = watched.withState(JobState.SUCCEEDED).withResultModel("sentiment@1").withEndTime(Instant.now());
        a.store.save(done);
        Thread.sleep(500);
        assertTrue(cancelled.isEmpty() && events.isEmpty(), "nothing can arrive while no one listens");

        try (Statement s = admin.createStatement()) {
          s.execute("ALTER DATABASE " + database + " ALLOW_CONNECTIONS true");
        }
        assertEquals("job-cancel-me", cancelled.poll(20, TimeUnit.SECONDS), "the cancel did not arrive");
        JobEvent event = events.poll(20, TimeUnit.SECONDS);
        assertNotNull(event, "the watch missed the terminal state");
        assertEquals(done, event.job());
      }
    }
  }

  /** Waits until {@code count} relays' listening connections to {@code database} are open. */
  private static void awaitListeners(Connection admin, String database, int count) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (true) {
      try (PreparedStatement s = admin.prepareStatement(
          "SELECT count(*) FROM pg_stat_activity WHERE datname = ? AND application_name = ?")) {
        s.setString(1, database);
        s.setString(2, SqlJobRelay.APPLICATION_NAME);
        try (ResultSet rs = s.executeQuery()) {
          rs.next();
          if (rs.getInt(1) == count) {
            return;
          }
        }
      }
      assertTrue(System.nanoTime() < deadline, "never " + count + " listening connections");
      Thread.sleep(50);
    }
  }

  private static void awaitHeartbeatAfter(PostgresServer pg, DatabaseUrl url, String instance, Instant after)
      throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    try (Connection c = SqlReplica.connect(pg, url);
        PreparedStatement s = c.prepareStatement("SELECT heartbeat_at > ?::timestamptz FROM instances WHERE id = ?")) {
      s.setString(1, after.toString());
      s.setString(2, instance);
      while (true) {
        try (ResultSet rs = s.executeQuery()) {
          if (rs.next() && rs.getBoolean(1)) {
            return;
          }
        }
        assertTrue(System.nanoTime() < deadline, "instance " + instance + " stopped heartbeating");
        Thread.sleep(50);
      }
    }
  }

  /** Runs {@code call} until the database answers it (its pool reconnects after a restart). */
  private static <T> T retry(Supplier<T> call) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (true) {
      try {
        return call.get();
      } catch (GraftException e) {
        if (e.kind() != ErrorKind.UNAVAILABLE || System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(100);
      }
    }
  }
}
