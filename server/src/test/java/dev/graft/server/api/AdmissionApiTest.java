package dev.graft.server.api;

import static dev.graft.server.api.Assertions2.assertGraftError;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.graft.api.v1.DataSource;
import dev.graft.api.v1.Dataset;
import dev.graft.api.v1.Hyperparameters;
import dev.graft.api.v1.Job;
import dev.graft.api.v1.JobState;
import dev.graft.api.v1.TrainRequest;
import dev.graft.client.GraftClient;
import dev.graft.server.JobErrors;
import dev.graft.server.TestData;
import dev.graft.server.TestServer;
import io.grpc.Status;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bounded job queue: a full queue refuses at once; a queued job can be cancelled. */
class AdmissionApiTest {
  @TempDir Path store;

  @Test
  void fullQueueIsResourceExhaustedAndQueuedJobsCancel() throws Exception {
    try (TestServer server = TestServer.inProcess(store, "queue-capacity", "1", "training-slots", "1")) {
      GraftClient client = server.client();
      Dataset tiny = client.uploadExamples("tiny", "nlp", TestData.tinySentiment());
      TrainRequest.Builder slow = TrainRequest.newBuilder().setBaseModel("minilm-l6").setStrategy("feature-extraction")
          .setTrain(DataSource.newBuilder().setDataset(tiny.getId())).setHyperparameters(Hyperparameters.newBuilder()
              .setEpochs(100_000).setEarlyStoppingPatience(100_000).setBatchSize(1));
      Job running = client.train(slow.setOutputModel("a").build());
      Job queued = client.train(slow.setOutputModel("b").build());
      assertEquals(JobState.JOB_STATE_QUEUED, queued.getState());
      assertGraftError(Status.Code.RESOURCE_EXHAUSTED, "QUEUE_FULL", () -> client.train(slow.setOutputModel("c").build()));
      assertEquals(1, client.serverInfo().getPools(0).getQueuedJobs());

      client.cancelJob(queued.getId());
      Job cancelled = client.awaitJob(queued.getId(), Duration.ofSeconds(10), e -> {});
      assertEquals(JobState.JOB_STATE_CANCELLED, cancelled.getState());
      assertEquals("JOB_CANCELLED", JobErrors.reason(cancelled));
      client.cancelJob(running.getId());
      assertEquals(JobState.JOB_STATE_CANCELLED, client.awaitJob(running.getId(), Duration.ofSeconds(10), e -> {}).getState());
    }
  }
}
