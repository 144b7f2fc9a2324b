package dev.graft.server.core.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.server.core.store.JobProgress;
import dev.graft.server.core.store.JobRecord;
import dev.graft.server.core.store.JobState;
import dev.graft.server.core.store.JobStore;
import dev.graft.server.core.store.JsonCodec;
import dev.graft.server.core.store.LocalJobStore;
import dev.graft.server.core.store.StoreLayout;
import dev.graft.spi.Hyperparameters;
import dev.graft.spi.Task;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two store instances on one root stand for two replicas: one owns a job, the other relays. */
class FileJobRelayTest {
  private static final Duration FAST = Duration.ofMillis(50);
  @TempDir Path root;
  private final JsonCodec json = new JsonCodec();

  static JobRecord job(String id, JobState state) {
    Instant t = Instant.parse("2025-01-01T00:00:00Z");
    return new JobRecord(id, state, "minilm-l6@1", "feature-extraction", "sentiment", "", Task.CLASSIFICATION,
        "inline", "", 0.25f, new Hyperparameters(3, 0, 0, 0, 0, 7, Map.of()), "default", "cpu", 0, Map.of(),
        JobProgress.none(), List.of(), null, t, null, null, "alice");
  }

  @Test
  void watchStreamsPersistedChangesOfAnotherReplicasJobUntilTerminal() throws Exception {
    try (StoreLayout ownerLayout = new StoreLayout(root); StoreLayout otherLayout = new StoreLayout(root);
        FileJobRelay relay = new FileJobRelay(new LocalJobStore(otherLayout, json), otherLayout, FAST)) {
      JobStore owner = new LocalJobStore(ownerLayout, json);
      JobRecord running = job("job-remote", JobState.RUNNING);
      owner.save(running);

      BlockingQueue<JobEvent> events = new LinkedBlockingQueue<>();
      relay.watch(running, events::add);
      assertEquals(JobState.RUNNING, events.take().job().state());

      JobRecord epoch = running.withProgress(new JobProgress(1, 3, 10, 30, 0.33, 0));
      owner.save(epoch);
      JobEvent second = events.poll(5, TimeUnit.SECONDS);
      assertEquals(epoch, second.job());
      assertTrue(second.message().startsWith("epoch 1/3"), second.message());

      owner.save(epoch.withState(JobState.SUCCEEDED).withResultModel("sentiment@1").withEndTime(Instant.now()));
      JobEvent last = events.poll(5, TimeUnit.SECONDS);
      assertEquals(JobState.SUCCEEDED, last.job().state());
      assertTrue(last.message().contains("sentiment@1"), last.message());
      Thread.sleep(FAST.toMillis() * 5);
      assertTrue(events.isEmpty(), "nothing after the terminal event: " + events);
    }
  }

  @Test
  void watchOfAJobWhoseOwnerDiedEndsFailed() throws Exception {
    StoreLayout ownerLayout = new StoreLayout(root);
    JobRecord running = job("job-orphan", JobState.RUNNING);
    new LocalJobStore(ownerLayout, json).save(running);
    try (StoreLayout otherLayout = new StoreLayout(root);
        FileJobRelay relay = new FileJobRelay(new LocalJobStore(otherLayout, json), otherLayout, FAST)) {
      BlockingQueue<JobEvent> events = new LinkedBlockingQueue<>();
      relay.watch(running, events::add);
      assertEquals(JobState.RUNNING, events.take().job().state());
      ownerLayout.close(); // the owner replica is gone

      JobEvent last = events.poll(5, TimeUnit.SECONDS);
      assertEquals(JobState.FAILED, last.job().state());
      assertEquals("SERVER_RESTARTED", last.job().error().reason());
    }
  }

  @Test
  void cancelOfAnotherReplicasJobReachesItsOwnerThroughAMarker() throws Exception {
    try (StoreLayout ownerLayout = new StoreLayout(root); StoreLayout otherLayout = new StoreLayout(root);
        FileJobRelay ownerRelay = new FileJobRelay(new LocalJobStore(ownerLayout, json), ownerLayout, FAST);
        FileJobRelay otherRelay = new FileJobRelay(new LocalJobStore(otherLayout, json), otherLayout, FAST)) {
      JobRecord running = job("job-cancel", JobState.RUNNING);
      new LocalJobStore(ownerLayout, json).save(running);
      BlockingQueue<String> cancelled = new LinkedBlockingQueue<>();
      ownerRelay.relayCancels(() -> List.of("job-cancel", "job-other"), cancelled::add);

      JobRecord answer = otherRelay.requestCancel(running);
      assertEquals(JobState.RUNNING, answer.state(), "the owner cancels; the answer is the job as it is now");
      assertEquals("job-cancel", cancelled.poll(5, TimeUnit.SECONDS));
      Thread.sleep(FAST.toMillis() * 5);
      assertFalse(Files.exists(FileJobRelay.marker(ownerLayout, "job-cancel")), "the owner removes the marker");
      assertTrue(cancelled.isEmpty(), "one cancel per request: " + cancelled);
    }
  }

  @Test
  void cancelOfAJobWhoseOwnerDiedFailsItAtOnce() {
    StoreLayout ownerLayout = new StoreLayout(root);
    JobRecord queued = job("job-dead", JobState.QUEUED);
    new LocalJobStore(ownerLayout, json).save(queued);
    ownerLayout.close();
    try (StoreLayout otherLayout = new StoreLayout(root);
        FileJobRelay relay = new FileJobRelay(new LocalJobStore(otherLayout, json), otherLayout, FAST)) {
      JobRecord answer = relay.requestCancel(queued);
      assertEquals(JobState.FAILED, answer.state());
      assertFalse(Files.exists(FileJobRelay.marker(otherLayout, "job-dead")));
    }
  }
}
