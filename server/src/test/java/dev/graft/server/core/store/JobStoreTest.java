package dev.graft.server.core.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.spi.ErrorKind;
import dev.graft.spi.Hyperparameters;
import dev.graft.spi.MetricValue;
import dev.graft.spi.Task;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JobStoreTest {
  @TempDir Path root;
  private final JsonCodec json = new JsonCodec();

  static JobRecord job(String id, JobState state, Instant created) {
    return new JobRecord(id, state, "minilm-l6@1", "fine-tuning", "sentiment", "", Task.CLASSIFICATION,
        "ds-0123456789ab", "", 0.1f, new Hyperparameters(3, 32, 1e-4f, 0, 2, 42, Map.of("unfreeze", "2")),
        "default", "cpu", 5, Map.of("team", "nlp"), new JobProgress(1, 3, 10, 30, 0.33, 5000),
        List.of(new MetricValue("loss", 0.7, "train", 1)), null, created,
        state == JobState.QUEUED ? null : created.plusSeconds(1), null, "alice");
  }

  @Test
  void savedJobsSurviveARestartNewestFirst() {
    Instant t = Instant.parse("2025-01-01T00:00:00Z");
    JobRecord a = job("job-a", JobState.SUCCEEDED, t).withResultModel("sentiment@1").withEndTime(t.plusSeconds(9));
    JobRecord b = job("job-b", JobState.FAILED, t.plusSeconds(5))
        .withError(new JobError(ErrorKind.INVALID_ARGUMENT, "BAD", "bad"));
    try (StoreLayout layout = new StoreLayout(root)) {
      JobStore store = new LocalJobStore(layout, json);
      store.save(a);
      store.save(b);
      assertEquals(List.of(b, a), store.list());
    }
    try (StoreLayout layout = new StoreLayout(root)) {
      JobStore store = new LocalJobStore(layout, json);
      assertEquals(List.of(b, a), store.list());
      assertEquals(a, store.find("job-a").orElseThrow());
      assertTrue(store.find("nope").isEmpty());
      assertTrue(store.find("../etc/passwd").isEmpty());
    }
  }

  @Test
  void recoverAfterRestartFailsUnfinishedJobsOfTheDeadServerOnly() throws IOException {
    Instant t = Instant.parse("2025-01-01T00:00:00Z");
    StoreLayout before = new StoreLayout(root);
    JobStore old = new LocalJobStore(before, json);
    old.save(job("running", JobState.RUNNING, t));
    old.save(job("queued", JobState.QUEUED, t.plusSeconds(1)));
    JobRecord done = job("done", JobState.SUCCEEDED, t.plusSeconds(2)).withEndTime(t.plusSeconds(3));
    old.save(done);
    StoreLayout neighbourLayout = new StoreLayout(root);
    JobStore neighbour = new LocalJobStore(neighbourLayout, json);
    neighbour.save(job("elsewhere", JobState.RUNNING, t.plusSeconds(4)));
    Files.writeString(root.resolve("jobs/.stray.json.123.tmp"), "{");
    before.close(); // the server stops; the neighbour replica keeps running

    try (StoreLayout after = new StoreLayout(root)) {
      JobStore store = new LocalJobStore(after, json);
      List<JobRecord> recovered = store.recoverAfterRestart();
      assertEquals(List.of("queued", "running"), recovered.stream().map(JobRecord::id).sorted().toList());
      JobRecord r = store.find("running").orElseThrow();
      assertEquals(JobState.FAILED, r.state());
      assertEquals(new JobError(ErrorKind.UNAVAILABLE, "SERVER_RESTARTED", "server restarted"), r.error());
      assertTrue(r.endTime() != null && !r.endTime().isBefore(t));
      assertEquals(done, store.find("done").orElseThrow());
      assertEquals(JobState.RUNNING, store.find("elsewhere").orElseThrow().state());
      assertEquals(4, store.list().size());

      try (StoreLayout again = new StoreLayout(root)) {
        assertEquals(JobState.FAILED, new LocalJobStore(again, json).find("queued").orElseThrow().state(), "saved to disk");
      }
    } finally {
      neighbourLayout.close();
    }
  }

  @Test
  void copyMethodsChangeOneComponent() {
    JobRecord j = job("j", JobState.QUEUED, Instant.EPOCH);
    assertNull(j.startTime());
    JobRecord r = j.withState(JobState.RUNNING).withDevice("gpu:0").withProgress(JobProgress.none());
    assertEquals(JobState.RUNNING, r.state());
    assertEquals("gpu:0", r.device());
    assertEquals(JobProgress.none(), r.progress());
    assertEquals(j.hyperparameters(), r.hyperparameters());
    assertTrue(JobState.CANCELLED.terminal() && !JobState.RUNNING.terminal());
  }
}
