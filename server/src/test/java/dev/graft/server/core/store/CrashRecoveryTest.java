package dev.graft.server.core.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.graft.spi.ErrorKind;
import dev.graft.spi.MetricValue;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A server killed between publishing a job's model and recording the job SUCCEEDED: on restart
 * the job is SUCCEEDED with that model, not FAILED with an empty result_model.
 */
class CrashRecoveryTest {
  @TempDir Path root;
  private final JsonCodec json = new JsonCodec();

  @Test
  void aRunningJobWhoseModelWasPublishedIsSucceededOthersFailed() throws IOException {
    Instant t = Instant.parse("2025-01-01T00:00:00Z");
    ModelRecord published;
    try (StoreLayout crashed = new StoreLayout(root)) {
      JobStore jobs = new LocalJobStore(crashed, json);
      ModelStore models = new LocalModelStore(crashed, json);
      // job-1 (output "sentiment") published sentiment@1, then the process died: its record says RUNNING
      jobs.save(JobStoreTest.job("job-1", JobState.RUNNING, t));
      Path staged = models.newStagingDirectory();
      Files.writeString(staged.resolve("head.bin"), "w");
      published = models.create(ModelStoreTest.draft("sentiment"), staged);
      // job-other (same output name) died before publishing
      jobs.save(JobStoreTest.job("job-other", JobState.RUNNING, t.plusSeconds(1)));
      jobs.save(JobStoreTest.job("job-queued", JobState.QUEUED, t.plusSeconds(2)));
    }

    try (StoreLayout restarted = new StoreLayout(root)) {
      JobStore jobs = new LocalJobStore(restarted, json);
      Instant before = Instant.now();
      List<JobRecord> recovered = jobs.recoverAfterRestart();
      assertEquals(3, recovered.size());

      JobRecord done = jobs.find("job-1").orElseThrow();
      assertEquals(JobState.SUCCEEDED, done.state());
      assertEquals("sentiment@1", done.resultModel());
      assertNull(done.error());
      assertNotNull(done.endTime());
      assertEquals(false, done.endTime().isBefore(before));
      List<MetricValue> expected = new java.util.ArrayList<>(JobStoreTest.job("x", JobState.RUNNING, t).metrics());
      published.metrics().forEach(m -> expected.add(new MetricValue(m.name(), m.value(), m.split(), 0)));
      assertEquals(expected.toString(), done.metrics().toString(), "per-epoch metrics, then the model's final ones");

      for (String id : List.of("job-other", "job-queued")) {
        JobRecord failed = jobs.find(id).orElseThrow();
        assertEquals(JobState.FAILED, failed.state(), id);
        assertEquals("", failed.resultModel(), id);
        assertEquals(new JobError(ErrorKind.UNAVAILABLE, "SERVER_RESTARTED", "server restarted"), failed.error());
      }
    }
    try (StoreLayout again = new StoreLayout(root)) {
      assertEquals(JobState.SUCCEEDED, new LocalJobStore(again, json).find("job-1").orElseThrow().state(), "saved");
      assertEquals(List.of(), new LocalJobStore(again, json).recoverAfterRestart(), "nothing left to recover");
    }
  }

  @Test
  void aDeletedVersionDoesNotCountAsPublished() throws IOException {
    try (StoreLayout crashed = new StoreLayout(root)) {
      new LocalJobStore(crashed, json).save(JobStoreTest.job("job-1", JobState.RUNNING, Instant.EPOCH));
      ModelStore models = new LocalModelStore(crashed, json);
      Path staged = models.newStagingDirectory();
      Files.writeString(staged.resolve("head.bin"), "w");
      models.create(ModelStoreTest.draft("sentiment"), staged);
      models.delete("sentiment@1");
    }
    try (StoreLayout restarted = new StoreLayout(root)) {
      JobStore jobs = new LocalJobStore(restarted, json);
      jobs.recoverAfterRestart();
      assertEquals(JobState.FAILED, jobs.find("job-1").orElseThrow().state());
    }
  }

  @Test
  void aLiveNeighboursJobIsLeftAloneEvenWithItsModelPublished() throws IOException {
    try (StoreLayout neighbour = new StoreLayout(root)) {
      new LocalJobStore(neighbour, json).save(JobStoreTest.job("job-1", JobState.RUNNING, Instant.EPOCH));
      ModelStore models = new LocalModelStore(neighbour, json);
      Path staged = models.newStagingDirectory();
      Files.writeString(staged.resolve("head.bin"), "w");
      models.create(ModelStoreTest.draft("sentiment"), staged);
      try (StoreLayout other = new StoreLayout(root)) {
        JobStore jobs = new LocalJobStore(other, json);
        assertEquals(List.of(), jobs.recoverAfterRestart());
        assertEquals(JobState.RUNNING, jobs.find("job-1").orElseThrow().state(), "its owner finishes it");
      }
    }
  }
}
