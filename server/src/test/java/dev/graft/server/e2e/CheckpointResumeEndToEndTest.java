package dev.graft.server.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.api.v1.DataSource;
import dev.graft.api.v1.Dataset;
import dev.graft.api.v1.Hyperparameters;
import dev.graft.api.v1.Job;
import dev.graft.api.v1.JobEvent;
import dev.graft.api.v1.JobState;
import dev.graft.api.v1.TrainRequest;
import dev.graft.client.GraftClient;
import dev.graft.server.TestData;
import dev.graft.server.TestServer;
import io.grpc.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A fine-tuning job cancelled after its first epochs stops within 5 s and leaves its best
 * checkpoint in the store; a new job with {@code extra["resume_from"]} continues from it.
 */
class CheckpointResumeEndToEndTest {
  @TempDir Path store;

  @Test
  void cancelKeepsTheCheckpointAndResumeFinishes() throws Exception {
    try (TestServer server = TestServer.inProcess(store, "access-log", "false")) {
      GraftClient client = server.client();
      Dataset tiny = client.uploadExamples("tiny", "nlp", TestData.tinySentiment());
      Job job = client.train(request(tiny, "resumable", Hyperparameters.newBuilder()
          .setEpochs(10_000).setEarlyStoppingPatience(10_000).setBatchSize(4)
          .putExtra("max_tokens", "16").putExtra("unfreeze", "2")).build());
      Iterator<JobEvent> events = client.watch(job.getId());
      while (events.hasNext()) {
        if (events.next().getMetricsList().stream().anyMatch(m -> m.getEpoch() == 2)) {
          break; // two epochs done, so two checkpoints written
        }
      }
      long start = System.nanoTime();
      client.cancelJob(job.getId());
      Job cancelled = client.awaitJob(job.getId(), Duration.ofSeconds(10), e -> {});
      double seconds = (System.nanoTime() - start) / 1e9;
      assertEquals(JobState.JOB_STATE_CANCELLED, cancelled.getState());
      assertEquals(Status.Code.CANCELLED.value(), cancelled.getError().getCode());
      assertTrue(seconds < 5, "cancelled in " + seconds + " s");
      Path checkpoints = store.resolve("checkpoints").resolve(job.getId());
      assertTrue(Files.isRegularFile(checkpoints.resolve("best/encoder.params")));
      assertTrue(Files.isRegularFile(checkpoints.resolve("last/checkpoint.json")));
      int epochsDone = (int) cancelled.getHistoryList().stream()
          .filter(m -> m.getName().equals("accuracy")).count();

      Job resumed = client.train(request(tiny, "resumed", Hyperparameters.newBuilder()
          .setEpochs(epochsDone + 1).setBatchSize(4).putExtra("max_tokens", "16")
          .putExtra("unfreeze", "2").putExtra("resume_from", job.getId())).build());
      Job done = client.awaitJob(resumed.getId(), Duration.ofMinutes(3), e -> {});
      assertEquals(JobState.JOB_STATE_SUCCEEDED, done.getState(), done.getError().getMessage());
      assertTrue(done.getHistoryCount() > 0 && done.getHistoryList().stream()
          .allMatch(m -> m.getEpoch() == epochsDone + 1), "only the epoch after the checkpoint ran");
      assertTrue(client.getModel("resumed").getPropertiesMap().get("resumed_from")
          .startsWith(job.getId()));
    }
  }

  private static TrainRequest.Builder request(Dataset data, String output, Hyperparameters.Builder h) {
    return TrainRequest.newBuilder().setBaseModel("minilm-l6").setStrategy("fine-tuning")
        .setOutputModel(output).setTrain(DataSource.newBuilder().setDataset(data.getId()))
        .setValidationSplit(0.25f).setHyperparameters(h);
  }
}
