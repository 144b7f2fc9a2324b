package dev.graft.server.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.api.v1.DataSource;
import dev.graft.api.v1.Dataset;
import dev.graft.api.v1.Hyperparameters;
import dev.graft.api.v1.Job;
import dev.graft.api.v1.JobEvent;
import dev.graft.api.v1.JobState;
import dev.graft.api.v1.TrainRequest;
import dev.graft.client.GraftClient;
import dev.graft.client.GraftException;
import dev.graft.server.TestData;
import dev.graft.server.TestServer;
import io.grpc.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * keep-checkpoints through real fine-tuning jobs: a job that succeeds keeps only {@code best/}
 * (default) or nothing ({@code none}); a cancelled job keeps its checkpoints for resume.
 */
class CheckpointRetentionEndToEndTest {
  @TempDir Path store;

  private static TrainRequest request(Dataset data, String output, int epochs) {
    return TrainRequest.newBuilder().setBaseModel("minilm-l6").setStrategy("fine-tuning")
        .setOutputModel(output).setTrain(DataSource.newBuilder().setDataset(data.getId()))
        .setValidationSplit(0.25f).setHyperparameters(Hyperparameters.newBuilder()
            .setEpochs(epochs).setEarlyStoppingPatience(10_000).setBatchSize(4)
            .putExtra("max_tokens", "16").putExtra("unfreeze", "1")).build();
  }

  private List<String> checkpointEntries(String jobId) throws Exception {
    try (Stream<Path> s = Files.list(store.resolve("checkpoints").resolve(jobId))) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void succeededJobKeepsOnlyItsBestCheckpointByDefault() throws Exception {
    try (TestServer server = TestServer.inProcess(store, "access-log", "false")) {
      GraftClient client = server.client();
      Dataset tiny = client.uploadExamples("tiny", "nlp", TestData.tinySentiment());
      Job job = client.train(request(tiny, "kept-best", 2));
      Job done = client.awaitJob(job.getId(), Duration.ofMinutes(3), e -> {});
      assertEquals(JobState.JOB_STATE_SUCCEEDED, done.getState(), done.getError().getMessage());
      assertEquals(List.of("best"), checkpointEntries(job.getId()), "last/ is gone the moment the job SUCCEEDS");
      assertTrue(Files.isRegularFile(store.resolve("checkpoints").resolve(job.getId()).resolve("best/encoder.params")));
    }
  }

  @Test
  void noneRemovesASucceededJobsCheckpointsButACancelledJobKeepsThem() throws Exception {
    try (TestServer server = TestServer.inProcess(store, "access-log", "false", "keep-checkpoints", "none")) {
      GraftClient client = server.client();
      Dataset tiny = client.uploadExamples("tiny", "nlp", TestData.tinySentiment());
      Job job = client.train(request(tiny, "kept-none", 1));
      Job done = client.awaitJob(job.getId(), Duration.ofMinutes(3), e -> {});
      assertEquals(JobState.JOB_STATE_SUCCEEDED, done.getState(), done.getError().getMessage());
      assertFalse(Files.exists(store.resolve("checkpoints").resolve(job.getId())));
      TrainRequest resume = request(tiny, "resumed", 2);
      TrainRequest fromGone = resume.toBuilder().setHyperparameters(resume.getHyperparameters().toBuilder()
          .putExtra("resume_from", job.getId())).build();
      GraftException e = assertThrows(GraftException.class, () -> client.train(fromGone));
      assertEquals(Status.Code.FAILED_PRECONDITION, e.code(), e.getMessage());
      assertEquals("NO_CHECKPOINT", e.reason(), e.getMessage());

      Job longJob = client.train(request(tiny, "cancelled", 10_000));
      Iterator<JobEvent> events = client.watch(longJob.getId());
      while (events.hasNext()) {
        if (events.next().getMetricsList().stream().anyMatch(m -> m.getEpoch() == 2)) {
          break; // two epochs done, so the first epoch's checkpoints are written
        }
      }
      client.cancelJob(longJob.getId());
      Job cancelled = client.awaitJob(longJob.getId(), Duration.ofSeconds(30), ev -> {});
      assertEquals(JobState.JOB_STATE_CANCELLED, cancelled.getState());
      List<String> kept = checkpointEntries(longJob.getId());
      assertTrue(kept.containsAll(List.of("best", "last")), "kept for resume_from: " + kept);
    }
  }
}
