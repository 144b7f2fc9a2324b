package dev.graft.server.core.store.sql;

import static dev.graft.server.core.store.sql.SqlReplica.job;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.server.PostgresServer;
import dev.graft.server.core.store.JobError;
import dev.graft.server.core.store.JobProgress;
import dev.graft.server.core.store.JobRecord;
import dev.graft.server.core.store.JobState;
import dev.graft.server.core.store.JsonCodec;
import dev.graft.server.core.store.ModelInputSpec;
import dev.graft.server.core.store.ModelKind;
import dev.graft.server.core.store.ModelRecord;
import dev.graft.spi.ErrorKind;
import dev.graft.spi.GraftException;
import dev.graft.spi.MetricValue;
import dev.graft.spi.Task;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The shared job store with two or three replicas on one real PostgreSQL database. */
class SqlJobStoreTest {
  private static final Duration SWEEP = Duration.ofHours(1);
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
  void aJobSavedOnOneReplicaIsFoundAndListedOnAnother() throws Exception {
    DatabaseUrl url = server.newDatabase();
    try (SqlReplica a = SqlReplica.open(server, url, SWEEP); SqlReplica b = SqlReplica.open(server, url, SWEEP)) {
      JobRecord queued = job("job-shared", JobState.QUEUED)
          .withMetrics(List.of(new MetricValue("loss", Double.NaN, "train", 1),
              new MetricValue("ratio", Double.POSITIVE_INFINITY, "train", 1)));
      a.store.save(queued);
      assertEquals(Optional.of(queued), b.store.find("job-shared"));

      JobRecord running = queued.withState(JobState.RUNNING).withStartTime(Instant.parse("2025-01-01T00:01:00Z"))
          .withProgress(new JobProgress(1, 3, 10, 30, 0.33, 0));
      a.store.save(running);
      assertEquals(Optional.of(running), b.store.find("job-shared"), "a running job is read again, not cached");

      JobRecord older = job("job-older", JobState.SUCCEEDED).withResultModel("sentiment@1");
      older = new JobRecord(older.id(), older.state(), older.baseModel(), older.strategy(), older.outputModel(),
          older.resultModel(), older.task(), older.trainSource(), older.validationSource(), older.validationSplit(),
          older.hyperparameters(), older.devicePool(), older.device(), older.priority(), older.labels(),
          older.progress(), older.metrics(), older.error(), Instant.parse("2024-06-01T00:00:00Z"), null,
          Instant.parse("2024-06-01T00:05:00Z"), "bob");
      b.store.save(older);
      assertEquals(List.of(running, older), a.store.list());
      assertEquals(List.of(running, older), b.store.list());
      assertEquals(Optional.of(a.instances.id()), b.store.owner("job-shared"));
      assertEquals(Optional.of(b.instances.id()), a.store.owner("job-older"));
      assertEquals(Optional.empty(), b.store.find("job-missing"));
      assertEquals(Optional.empty(), b.store.find("../etc/passwd"));

      GraftException bad = assertThrows(GraftException.class, () -> a.store.save(job("bad id", JobState.QUEUED)));
      assertEquals(ErrorKind.INVALID_ARGUMENT, bad.kind());
      assertEquals("INVALID_JOB_ID", bad.reason());
    }
  }

  @Test
  void aDeadReplicasUnfinishedJobsFailAndALiveReplicasJobsAreLeftAlone() throws Exception {
    DatabaseUrl url = server.newDatabase();
    try (SqlReplica a = SqlReplica.open(server, url, SWEEP); SqlReplica b = SqlReplica.open(server, url, SWEEP);
        SqlReplica c = SqlReplica.open(server, url, SWEEP)) {
      JobRecord running = job("job-a-running", JobState.RUNNING);
      JobRecord queued = job("job-a-queued", JobState.QUEUED);
      JobRecord done = job("job-a-done", JobState.SUCCEEDED).withResultModel("sentiment@4");
      a.store.save(running);
      a.store.save(queued);
      a.store.save(done);
      c.store.save(job("job-c-running", JobState.RUNNING));
      assertEquals(List.of(), b.store.recoverAfterRestart(), "every owner is alive");

      a.crash();
      awaitDead(b, a.instances.id());
      List<JobRecord> recovered = b.store.recoverAfterRestart();

      assertEquals(Set.of("job-a-running", "job-a-queued"), ids(recovered));
      for (JobRecord r : recovered) {
        assertEquals(JobState.FAILED, r.state());
        assertEquals(new JobError(ErrorKind.UNAVAILABLE, "SERVER_RESTARTED", "server restarted"), r.error());
        assertTrue(r.endTime() != null);
        assertEquals(r, c.store.find(r.id()).orElseThrow(), "stored, so every replica reads it");
        assertEquals(Optional.of(b.instances.id()), c.store.owner(r.id()));
      }
      assertEquals(JobState.RUNNING, c.store.find("job-c-running").orElseThrow().state());
      assertEquals(done, b.store.find("job-a-done").orElseThrow());
      assertEquals(List.of(), c.store.recoverAfterRestart(), "nothing is recovered twice");
    }
  }

  @Test
  void aJobWhoseModelWasPublishedBeforeItsReplicaDiedSucceeds() throws Exception {
    DatabaseUrl url = server.newDatabase();
    try (SqlReplica a = SqlReplica.open(server, url, SWEEP); SqlReplica b = SqlReplica.open(server, url, SWEEP)) {
      JobRecord running = job("job-published", JobState.RUNNING)
          .withMetrics(List.of(new MetricValue("loss", 0.5, "train", 1)));
      a.store.save(running);
      a.store.save(job("job-deleted", JobState.RUNNING));
      ModelRecord model = model("sentiment", 3, "job-published");
      try (Connection c = SqlReplica.connect(server, url)) {
        insertVersion(c, model, null);
        insertVersion(c, model("sentiment", 4, "job-deleted"), Instant.now());
      }
      a.leave(); // deregisters: dead at once

      List<JobRecord> recovered = b.store.recoverAfterRestart();

      JobRecord succeeded = recovered.stream().filter(r -> r.id().equals("job-published")).findFirst().orElseThrow();
      assertEquals(JobState.SUCCEEDED, succeeded.state());
      assertEquals("sentiment@3", succeeded.resultModel());
      assertEquals(null, succeeded.error());
      assertEquals(List.of(new MetricValue("loss", 0.5, "train", 1), new MetricValue("accuracy", 0.9, "validation", 0)),
          succeeded.metrics());
      JobRecord failed = recovered.stream().filter(r -> r.id().equals("job-deleted")).findFirst().orElseThrow();
      assertEquals(JobState.FAILED, failed.state(), "a deleted version is not published");
      assertEquals("SERVER_RESTARTED", failed.error().reason());
    }
  }

  @Test
  void twoReplicasRecoveringAtOnceEndEachJobOnce() throws Exception {
    DatabaseUrl url = server.newDatabase();
    try (SqlReplica a = SqlReplica.open(server, url, SWEEP); SqlReplica b = SqlReplica.open(server, url, SWEEP);
        SqlReplica c = SqlReplica.open(server, url, SWEEP)) {
      Set<String> all = new HashSet<>();
      for (int i = 0; i < 40; i++) {
        a.store.save(job("job-" + i, i % 2 == 0 ? JobState.RUNNING : JobState.QUEUED));
        all.add("job-" + i);
      }
      a.crash();
      awaitDead(b, a.instances.id());
      awaitDead(c, a.instances.id());
      CyclicBarrier together = new CyclicBarrier(2);
      CompletableFuture<List<JobRecord>> onB = CompletableFuture.supplyAsync(() -> recoverAfter(together, b));
      CompletableFuture<List<JobRecord>> onC = CompletableFuture.supplyAsync(() -> recoverAfter(together, c));
      List<Set<String>> byReplica = List.of(ids(onB.get(30, TimeUnit.SECONDS)), ids(onC.get(30, TimeUnit.SECONDS)));
      Set<String> union = new HashSet<>(byReplica.get(0));
      union.addAll(byReplica.get(1));
      assertEquals(all, union, "every orphan is recovered");
      assertEquals(all.size(), byReplica.get(0).size() + byReplica.get(1).size(), "by one replica each: " + byReplica);
      for (String id : all) {
        JobRecord r = b.store.find(id).orElseThrow();
        assertEquals(JobState.FAILED, r.state());
      }
    }
  }

  @Test
  void aReplicaIsAliveWhileItHeartbeatsAndDeadWhenItStopsOrLeaves() throws Exception {
    DatabaseUrl url = server.newDatabase();
    try (SqlReplica a = SqlReplica.open(server, url, SWEEP); SqlReplica b = SqlReplica.open(server, url, SWEEP);
        SqlReplica c = SqlReplica.open(server, url, SWEEP)) {
      assertTrue(a.instances.isAlive(a.instances.id()));
      assertEquals(Set.of(a.instances.id(), b.instances.id(), c.instances.id()), a.instances.liveInstances());
      assertFalse(a.instances.isAlive("no-such-instance"));
      Thread.sleep(SqlReplica.LEASE.toMillis() * 2);
      assertTrue(a.instances.isAlive(b.instances.id()), "heartbeats keep it alive past its lease");

      c.leave();
      assertFalse(a.instances.isAlive(c.instances.id()), "deregistered: dead at once");
      b.instances.abandon();
      assertTrue(a.instances.isAlive(b.instances.id()), "silent, but within its lease");
      awaitDead(a, b.instances.id());
      assertEquals(Set.of(a.instances.id()), a.instances.liveInstances());
      assertThrows(IllegalArgumentException.class,
          () -> Instances.register(a.db, Duration.ofSeconds(2), Duration.ofSeconds(1)));
    }
  }

  private static List<JobRecord> recoverAfter(CyclicBarrier barrier, SqlReplica replica) {
    try {
      barrier.await(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    return replica.store.recoverAfterRestart();
  }

  static void awaitDead(SqlReplica observer, String instance) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (observer.instances.isAlive(instance)) {
      assertTrue(System.nanoTime() < deadline, "instance " + instance + " still alive after 10 s");
      Thread.sleep(50);
    }
  }

  private static Set<String> ids(List<JobRecord> jobs) {
    Set<String> out = new HashSet<>();
    jobs.forEach(j -> out.add(j.id()));
    return out;
  }

  private static ModelRecord model(String name, int version, String jobId) {
    return new ModelRecord(name, version, ModelKind.TRAINED, "nlp", "PyTorch", "head", "minilm-l6@1",
        "feature-extraction", "ds-0123456789ab", "abc", Task.CLASSIFICATION, List.of("neg", "pos"),
        List.of(new MetricValue("accuracy", 0.9, "validation", 0)),
        new ModelInputSpec(List.of(1L, 128L), 128, 0, 0, List.of(0.5f), List.of(0.25f)),
        Map.of("epochs", "3"), Map.of(), 10, Instant.parse("2025-01-01T00:10:00Z"), jobId, 384, "alice");
  }

  private static void insertVersion(Connection c, ModelRecord model, Instant deletedAt) throws Exception {
    try (PreparedStatement s = c.prepareStatement("INSERT INTO model_versions"
        + " (name, version, record, files, job_id, created_at, deleted_at)"
        + " VALUES (?, ?, ?::jsonb, '{}'::jsonb, ?, now(), ?::timestamptz)")) {
      s.setString(1, model.name());
      s.setInt(2, model.version());
      s.setString(3, JsonColumns.record(new JsonCodec(), model));
      s.setString(4, model.jobId());
      s.setString(5, deletedAt == null ? null : deletedAt.toString());
      s.executeUpdate();
    }
    try (PreparedStatement s = c.prepareStatement("SELECT count(*) FROM model_versions WHERE job_id = ?")) {
      s.setString(1, model.jobId());
      try (ResultSet rs = s.executeQuery()) {
        rs.next();
        assertEquals(1, rs.getInt(1));
      }
    }
  }
}
