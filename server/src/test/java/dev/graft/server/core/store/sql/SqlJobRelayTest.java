package dev.graft.server.core.store.sql;

import static dev.graft.server.core.store.sql.SqlReplica.job;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.server.PostgresServer;
import dev.graft.server.core.jobs.JobEvent;
import dev.graft.server.core.store.JobProgress;
import dev.graft.server.core.store.JobRecord;
import dev.graft.server.core.store.JobState;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Watch and cancel across two replicas through a real PostgreSQL's LISTEN/NOTIFY. */
class SqlJobRelayTest {
  /** Sweeps so rare that only notifications can deliver within a test. */
  private static final Duration NO_SWEEP = Duration.ofHours(1);
  private static final Duration FAST_SWEEP = Duration.ofMillis(200);
  /** Far above what a notification takes (a few ms), to stay robust on a loaded machine. */
  private static final long PROMPT_MILLIS = 2000;
  private static PostgresServer server;

  @BeforeAll
  static void start() throws Exception {
    server = PostgresServer.startOrSkip();
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void aWatchOnOneReplicaSeesEachSaveOfAnotherPromptlyUntilTerminal() throws Exception {
    DatabaseUrl url = server.newDatabase();
    try (SqlReplica a = SqlReplica.open(server, url, NO_SWEEP); SqlReplica b = SqlReplica.open(server, url, NO_SWEEP)) {
      JobRecord running = job("job-watched", JobState.RUNNING).withStartTime(Instant.now());
      a.store.save(running);
      BlockingQueue<JobEvent> events = new LinkedBlockingQueue<>();
      b.relay.watch(running, events::add);
      assertEquals(running, events.take().job());

      int saves = 20;
      List<Long> latencies = new ArrayList<>();
      JobRecord now = running;
      for (int epoch = 1; epoch <= saves; epoch++) {
        now = now.withProgress(new JobProgress(epoch, saves, epoch * 10L, saves * 10L, epoch / (double) saves, 0));
        long start = System.nanoTime();
        a.store.save(now);
        JobEvent event = events.poll(PROMPT_MILLIS, TimeUnit.MILLISECONDS);
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertNotNull(event, "no event within " + PROMPT_MILLIS + " ms of save " + epoch);
        assertEquals(now, event.job());
        assertEquals("epoch " + epoch + "/" + saves + " (on another replica)", event.message());
        latencies.add(millis);
      }
      Collections.sort(latencies);
      System.out.printf("SqlJobRelayTest: save on A -> event on B over %d saves: median %d ms, max %d ms%n", saves,
          latencies.get(saves / 2), latencies.get(saves - 1));

      JobRecord done = now.withState(JobState.SUCCEEDED).withResultModel("sentiment@2").withEndTime(Instant.now());
      a.store.save(done);
      JobEvent last = events.poll(PROMPT_MILLIS, TimeUnit.MILLISECONDS);
      assertNotNull(last);
      assertEquals(done, last.job());
      assertEquals("succeeded: model sentiment@2 (on another replica)", last.message());
      a.store.save(done.withProgress(JobProgress.none()));
      assertNull(events.poll(500, TimeUnit.MILLISECONDS), "nothing after the terminal event");
    }
  }

  @Test
  void aStoppedWatchGetsNothingMore() throws Exception {
    DatabaseUrl url = server.newDatabase();
    try (SqlReplica a = SqlReplica.open(server, url, NO_SWEEP); SqlReplica b = SqlReplica.open(server, url, NO_SWEEP)) {
      JobRecord running = job("job-stopped-watch", JobState.RUNNING);
      a.store.save(running);
      BlockingQueue<JobEvent> kept = new LinkedBlockingQueue<>();
      BlockingQueue<JobEvent> stopped = new LinkedBlockingQueue<>();
      b.relay.watch(running, kept::add);
      Runnable stop = b.relay.watch(running, stopped::add);
      kept.take();
      stopped.take();
      stop.run();
      a.store.save(running.withState(JobState.CANCELLED).withEndTime(Instant.now()));
      assertEquals(JobState.CANCELLED, kept.poll(PROMPT_MILLIS, TimeUnit.MILLISECONDS).job().state());
      assertTrue(stopped.isEmpty(), "a stopped watch got " + stopped);
    }
  }

  @Test
  void aCancelRequestedThroughOneReplicaReachesTheOwnerOnce() throws Exception {
    DatabaseUrl url = server.newDatabase();
    try (SqlReplica a = SqlReplica.open(server, url, FAST_SWEEP); SqlReplica b = SqlReplica.open(server, url, NO_SWEEP)) {
      BlockingQueue<String> cancelled = new LinkedBlockingQueue<>();
      a.relay.relayCancels(() -> Set.of("job-live"), cancelled::add);
      JobRecord live = job("job-live", JobState.RUNNING);
      a.store.save(live);
      a.store.save(job("job-not-live-here", JobState.RUNNING));

      long start = System.nanoTime();
      JobRecord answer = b.relay.requestCancel(live);
      assertEquals(JobState.RUNNING, answer.state(), "the owner stops it, not the requester");
      assertEquals("job-live", cancelled.poll(PROMPT_MILLIS, TimeUnit.MILLISECONDS));
      System.out.printf("SqlJobRelayTest: cancel through B -> callback on A in %d ms%n",
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
      awaitNoRequest(url, "job-live");

      b.relay.requestCancel(job("job-not-live-here", JobState.RUNNING));
      Thread.sleep(FAST_SWEEP.toMillis() * 4);
      assertTrue(cancelled.isEmpty(), "called again or for a job not live here: " + cancelled);
      assertEquals(1, requests(url, "job-not-live-here"), "kept for its owner");
      a.relay.forget("job-not-live-here");
      assertEquals(0, requests(url, "job-not-live-here"));
    }
  }

  @Test
  void aRequestWhoseNotificationWasLostIsFoundByTheSweep() throws Exception {
    DatabaseUrl url = server.newDatabase();
    try (SqlReplica a = SqlReplica.open(server, url, FAST_SWEEP)) {
      BlockingQueue<String> cancelled = new LinkedBlockingQueue<>();
      a.relay.relayCancels(() -> Set.of("job-quiet"), cancelled::add);
      a.store.save(job("job-quiet", JobState.RUNNING));
      try (Connection c = SqlReplica.connect(server, url);
          PreparedStatement s = c.prepareStatement("INSERT INTO job_cancels VALUES (?, now(), 'someone')")) {
        s.setString(1, "job-quiet");
        s.executeUpdate(); // no NOTIFY
      }
      assertEquals("job-quiet", cancelled.poll(5, TimeUnit.SECONDS));
      awaitNoRequest(url, "job-quiet");
    }
  }

  @Test
  void aCancelOrWatchOfAJobWhoseOwnerDiedEndsItFailed() throws Exception {
    DatabaseUrl url = server.newDatabase();
    try (SqlReplica a = SqlReplica.open(server, url, NO_SWEEP); SqlReplica b = SqlReplica.open(server, url, FAST_SWEEP)) {
      JobRecord watched = job("job-orphan-watched", JobState.RUNNING);
      JobRecord cancelled = job("job-orphan-cancelled", JobState.QUEUED);
      a.store.save(watched);
      a.store.save(cancelled);
      BlockingQueue<JobEvent> events = new LinkedBlockingQueue<>();
      b.relay.watch(watched, events::add);
      events.take();

      a.crash();
      JobEvent last = events.poll(10, TimeUnit.SECONDS);
      assertNotNull(last, "the watch did not end after the owner died");
      assertEquals(JobState.FAILED, last.job().state());
      assertEquals("SERVER_RESTARTED", last.job().error().reason());
      assertTrue(last.message().startsWith("failed: server restarted"), last.message());

      JobRecord answer = b.relay.requestCancel(cancelled);
      assertEquals(JobState.FAILED, answer.state(), "recovered rather than asked of a dead owner");
      assertEquals(0, requests(url, "job-orphan-cancelled"));
    }
  }

  private static int requests(DatabaseUrl url, String id) throws Exception {
    try (Connection c = SqlReplica.connect(server, url);
        PreparedStatement s = c.prepareStatement("SELECT count(*) FROM job_cancels WHERE id = ?")) {
      s.setString(1, id);
      try (ResultSet rs = s.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    }
  }

  private static void awaitNoRequest(DatabaseUrl url, String id) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (requests(url, id) > 0) {
      assertTrue(System.nanoTime() < deadline, "the request of " + id + " was not deleted");
      Thread.sleep(20);
    }
  }
}
