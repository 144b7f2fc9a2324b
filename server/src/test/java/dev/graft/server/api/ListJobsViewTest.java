package dev.graft.server.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.api.v1.DataSource;
import dev.graft.api.v1.Dataset;
import dev.graft.api.v1.Hyperparameters;
import dev.graft.api.v1.Job;
import dev.graft.api.v1.JobState;
import dev.graft.api.v1.JobView;
import dev.graft.api.v1.ListJobsRequest;
import dev.graft.api.v1.TrainingServiceGrpc;
import dev.graft.api.v1.TrainRequest;
import dev.graft.client.GraftClient;
import dev.graft.server.TestData;
import dev.graft.server.TestServer;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ListJobs returns summaries unless asked for whole jobs. */
class ListJobsViewTest {
  @TempDir Path store;

  @Test
  void basicListsCarryOnlyTheFinalMetricsFullListsTheHistory() throws Exception {
    try (TestServer server = TestServer.inProcess(store)) {
      GraftClient client = server.client();
      Dataset tiny = client.uploadExamples("tiny", "nlp", TestData.tinySentiment());
      Job job = client.train(TrainRequest.newBuilder().setBaseModel("minilm-l6").setStrategy("feature-extraction")
          .setOutputModel("tiny").setTrain(DataSource.newBuilder().setDataset(tiny.getId()))
          .setHyperparameters(Hyperparameters.newBuilder().setEpochs(5)).build());
      Job done = client.awaitJob(job.getId(), Duration.ofMinutes(2), e -> { });
      assertEquals(JobState.JOB_STATE_SUCCEEDED, done.getState());
      var stub = TrainingServiceGrpc.newBlockingStub(server.channel());
      Job basic = stub.listJobs(ListJobsRequest.getDefaultInstance()).getJobs(0);
      Job full = stub.listJobs(ListJobsRequest.newBuilder().setView(JobView.JOB_VIEW_FULL).build()).getJobs(0);
      assertTrue(basic.getMetricsCount() > 0 && basic.getMetricsList().stream().allMatch(m -> m.getEpoch() == 0),
          basic.getMetricsList().toString());
      assertEquals(0, basic.getHistoryCount(), "no history in BASIC");
      assertTrue(full.getHistoryCount() > 0 && full.getHistoryList().stream().allMatch(m -> m.getEpoch() > 0),
          "the history is in FULL");
      assertEquals(done, full, "the watched job (events' metrics concatenated) equals the FULL job");
      assertEquals(full.toBuilder().clearHistory().build(), basic, "only the history differs");
    }
  }
}
