package dev.graft.server.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.api.v1.DataSource;
import dev.graft.api.v1.Dataset;
import dev.graft.api.v1.Job;
import dev.graft.api.v1.JobState;
import dev.graft.api.v1.PredictResponse;
import dev.graft.api.v1.TrainRequest;
import dev.graft.client.Inputs;
import dev.graft.server.TestData;
import dev.graft.server.TestServer;
import dev.graft.server.core.store.JobProgress;
import dev.graft.server.core.store.JobRecord;
import dev.graft.server.core.store.JobStore;
import dev.graft.server.core.store.JsonCodec;
import dev.graft.server.core.store.LocalJobStore;
import dev.graft.server.core.store.LocalModelStore;
import dev.graft.server.core.store.ModelRecord;
import dev.graft.server.core.store.ModelStore;
import dev.graft.server.core.store.StoreLayout;
import dev.graft.server.core.store.StoreVerifier;
import dev.graft.spi.Hyperparameters;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The state a kill right after publishing leaves (model version on disk, its job RUNNING, a
 * temporary job file, a version claimed but never filled), written by hand: the next server
 * recovers the job as SUCCEEDED with that model, which predicts as the original does, sweeps the
 * leftovers, and the store verifies clean.
 */
class CrashRecoveryEndToEndTest {
  private static final String TEXT = "lovely and wonderful";

  @TempDir Path store;

  @Test
  void aJobKilledAfterPublishingIsRecoveredAndTheStoreVerifies() throws Exception {
    Dataset dataset;
    PredictResponse reference;
    try (TestServer first = TestServer.inProcess(store)) {
      dataset = first.client().uploadExamples("tiny", "nlp", TestData.tinySentiment());
      Job job = first.client().train(TrainRequest.newBuilder().setBaseModel("minilm-l6")
          .setStrategy("feature-extraction").setOutputModel("tiny")
          .setTrain(DataSource.newBuilder().setDataset(dataset.getId())).build());
      assertEquals(JobState.JOB_STATE_SUCCEEDED,
          first.client().awaitJob(job.getId(), Duration.ofMinutes(2), e -> {}).getState());
      reference = first.client().predict("tiny@1", List.of(Inputs.text(TEXT)), 0);
    }

    JsonCodec json = new JsonCodec();
    Path temp;
    try (StoreLayout crashed = new StoreLayout(store)) {
      ModelStore models = new LocalModelStore(crashed, json);
      ModelRecord v1 = models.get("tiny@1");
      Path staged = models.newStagingDirectory();
      try (Stream<Path> files = Files.list(models.directory(v1))) {
        for (Path f : files.filter(f -> !f.getFileName().toString().equals(ModelStore.MANIFEST)).toList()) {
          Files.copy(f, staged.resolve(f.getFileName()));
        }
      }
      models.create(publishedBy(v1, "job-published"), staged); // tiny@2
      new LocalJobStore(crashed, json).save(new JobRecord("job-published",
          dev.graft.server.core.store.JobState.RUNNING, "minilm-l6@1", "feature-extraction", "tiny", "",
          dev.graft.spi.Task.CLASSIFICATION, dataset.getId(), "", 0.2f,
          new Hyperparameters(0, 0, 0, 0, 0, 0, Map.of()), "default", "cpu", 0, Map.of(), JobProgress.none(),
          List.of(), null, Instant.now(), Instant.now(), null, "anonymous"));
      temp = store.resolve("jobs/.job-published.json." + UUID.randomUUID() + "." + crashed.instanceId() + ".tmp");
      Files.writeString(temp, "{\"id\": \"job-pub");
      Files.createDirectories(store.resolve("models/tiny/3"));
    }
    for (Path p : List.of(temp, store.resolve("models/tiny/3"))) {
      Files.setLastModifiedTime(p, FileTime.from(Instant.now().minusSeconds(5)));
    }
    assertFalse(new StoreVerifier(store).verify().consistent(), "the crash's state is inconsistent");

    try (TestServer second = TestServer.inProcess(store)) {
      var client = second.client();
      Job recovered = client.getJob("job-published");
      assertEquals(JobState.JOB_STATE_SUCCEEDED, recovered.getState());
      assertEquals("tiny@2", recovered.getResultModel());
      assertTrue(recovered.hasEndTime());
      assertFalse(recovered.hasError());
      assertEquals(reference.getPredictionsList(),
          client.predict("tiny@2", List.of(Inputs.text(TEXT)), 0).getPredictionsList());
      assertEquals(reference.getPredictionsList(),
          client.predict("tiny@1", List.of(Inputs.text(TEXT)), 0).getPredictionsList(), "as before the crash");
      assertFalse(Files.exists(temp), "the dead instance's temporary file is swept");
      assertEquals(List.of(".deleted"), names(store.resolve("models/tiny/3")), "the empty claim is finished");
    }
    StoreVerifier.Report report = new StoreVerifier(store).verify();
    assertEquals(List.of(), report.problems());
    assertEquals(2, report.jobs(), "the first server's job and job-published");
  }

  private static ModelRecord publishedBy(ModelRecord r, String jobId) {
    return new ModelRecord(r.name(), 0, r.kind(), r.domain(), r.engine(), r.format(), r.baseModel(), r.strategy(),
        r.datasetId(), r.datasetSha256(), r.task(), r.labels(), r.metrics(), r.input(), r.hyperparameters(),
        r.properties(), 0, null, jobId, r.dimension(), r.createdBy());
  }

  private static List<String> names(Path dir) throws Exception {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
