package dev.graft.server.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.api.v1.DataSource;
import dev.graft.api.v1.Dataset;
import dev.graft.api.v1.Job;
import dev.graft.api.v1.JobState;
import dev.graft.api.v1.Model;
import dev.graft.api.v1.TrainRequest;
import dev.graft.client.Inputs;
import dev.graft.server.TestData;
import dev.graft.server.TestServer;
import dev.graft.server.core.store.JobProgress;
import dev.graft.server.core.store.JobRecord;
import dev.graft.server.core.store.JobStore;
import dev.graft.server.core.store.JsonCodec;
import dev.graft.server.core.store.LocalJobStore;
import dev.graft.server.core.store.StoreLayout;
import dev.graft.spi.Hyperparameters;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Models, datasets and jobs survive a restart; a job that was running reads FAILED "server restarted". */
class RestartTest {
  @TempDir Path store;

  @Test
  void storesSurviveARestart() throws Exception {
    Dataset dataset;
    Job finished;
    Model model;
    try (TestServer first = TestServer.inProcess(store)) {
      dataset = first.client().uploadExamples("tiny", "nlp", TestData.tinySentiment());
      Job job = first.client().train(TrainRequest.newBuilder().setBaseModel("minilm-l6")
          .setStrategy("feature-extraction").setOutputModel("tiny")
          .setTrain(DataSource.newBuilder().setDataset(dataset.getId())).build());
      finished = first.client().awaitJob(job.getId(), Duration.ofMinutes(2), e -> {});
      assertEquals(JobState.JOB_STATE_SUCCEEDED, finished.getState());
      model = first.client().getModel("tiny");
    }
    // A job that was running when the process died (its record says RUNNING).
    // Its owner (this store instance) then goes away, as a crashed process does.
    try (StoreLayout crashed = new StoreLayout(store)) {
      new LocalJobStore(crashed, new JsonCodec()).save(new JobRecord("job-crashed", dev.graft.server.core.store.JobState.RUNNING, "minilm-l6@1",
        "feature-extraction", "crashed", "", dev.graft.spi.Task.CLASSIFICATION, dataset.getId(), "", 0.2f,
        new Hyperparameters(0, 0, 0, 0, 0, 0, Map.of()), "default", "cpu", 0, Map.of(), JobProgress.none(),
          List.of(), null, Instant.now(), Instant.now(), null, "anonymous"));
    }

    try (TestServer second = TestServer.inProcess(store)) {
      var client = second.client();
      assertEquals(dataset, client.getDataset(dataset.getId()));
      assertEquals(model, client.getModel("tiny"));
      Job again = client.getJob(finished.getId());
      assertEquals(finished.getState(), again.getState());
      assertEquals(finished.getResultModel(), again.getResultModel());
      assertEquals(finished.getMetricsList(), again.getMetricsList());
      Job crashed = client.getJob("job-crashed");
      assertEquals(JobState.JOB_STATE_FAILED, crashed.getState());
      assertEquals("server restarted", crashed.getError().getMessage());
      assertTrue(crashed.hasEndTime());
      assertEquals(1, client.listModels().stream().filter(m -> m.getName().equals("minilm-l6")).count(),
          "built-ins are registered once");
      assertEquals("positive", client.predict("tiny", List.of(Inputs.text("lovely and wonderful")), 1)
          .getPredictions(0).getClasses(0).getLabel());
    }
    try (var files = Files.walk(store)) {
      assertTrue(files.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")), "no temp files left");
    }
  }
}
