package dev.graft.server.api;

import static dev.graft.server.api.Assertions2.assertGraftError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.api.v1.DataSource;
import dev.graft.api.v1.Dataset;
import dev.graft.api.v1.Hyperparameters;
import dev.graft.api.v1.InlineExamples;
import dev.graft.api.v1.Job;
import dev.graft.api.v1.JobEvent;
import dev.graft.api.v1.JobState;
import dev.graft.api.v1.Model;
import dev.graft.api.v1.ModelKind;
import dev.graft.api.v1.PredictResponse;
import dev.graft.api.v1.TrainRequest;
import dev.graft.client.GraftClient;
import dev.graft.client.Inputs;
import dev.graft.server.TestData;
import dev.graft.server.TestServer;
import io.grpc.Status;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Train, WatchJob, GetJob, ListJobs, CancelJob and Predict over an in-process server. */
class TrainingApiTest {
  @TempDir static Path store;
  static TestServer server;
  static GraftClient client;
  static Dataset tiny;

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.inProcess(store);
    client = server.client();
    tiny = client.uploadExamples("tiny", "nlp", TestData.tinySentiment());
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  static TrainRequest.Builder request(String output) {
    return TrainRequest.newBuilder().setBaseModel("minilm-l6").setStrategy("feature-extraction")
        .setOutputModel(output).setTrain(DataSource.newBuilder().setDataset(tiny.getId()))
        .setValidationSplit(0.25f);
  }

  @Test
  void candidateHeadsArePhasesWithTheirOwnEpochs() {
    Job job = client.train(request("phased").setHyperparameters(Hyperparameters.newBuilder().setEpochs(3)
        .setEarlyStoppingPatience(10).putExtra("hidden", "auto")).build());
    List<JobEvent> events = new ArrayList<>();
    Job done = client.awaitJob(job.getId(), Duration.ofMinutes(2), events::add);
    assertEquals(JobState.JOB_STATE_SUCCEEDED, done.getState(), done.getError().getMessage());
    List<String> phases = done.getHistoryList().stream().map(m -> m.getPhase()).distinct().toList();
    assertEquals(2, phases.size(), "two candidate heads: " + phases);
    assertTrue(phases.get(0).startsWith("linear") && phases.get(1).startsWith("mlp"), phases.toString());
    for (String phase : phases) {
      assertEquals(List.of(1, 2, 3), done.getHistoryList().stream()
          .filter(m -> m.getPhase().equals(phase) && m.getName().equals("loss") && m.getSplit().equals("validation"))
          .map(m -> m.getEpoch()).toList(), "epochs count from 1 in " + phase);
    }
    assertTrue(events.stream().map(JobEvent::getJob).anyMatch(j -> j.getProgress().getPhaseIndex() == 2
        && j.getProgress().getPhaseCount() == 2 && j.getProgress().getPhase().equals(phases.get(1))
        && j.getProgress().getTotalEpochs() == 3), "progress names the running phase");
    assertTrue(done.getMetricsList().stream().allMatch(m -> m.getEpoch() == 0 && m.getPhase().isEmpty()),
        "final metrics are the kept model's");
    assertEquals(1.0, done.getProgress().getFraction(), "a succeeded job is done, early stop or not");
    assertEquals(0, done.getProgress().getEta().getSeconds() + done.getProgress().getEta().getNanos());
  }

  @Test
  void trainWatchPredict() {
    Job job = client.train(request("tiny-sentiment").build());
    assertEquals(JobState.JOB_STATE_QUEUED, job.getState());
    List<JobEvent> events = new ArrayList<>();
    Job done = client.awaitJob(job.getId(), Duration.ofMinutes(2), events::add);
    assertEquals(JobState.JOB_STATE_SUCCEEDED, done.getState(), done.getError().getMessage());
    assertEquals(job.getId(), events.get(0).getJob().getId());
    assertTrue(events.stream().anyMatch(e -> e.getJob().getState() == JobState.JOB_STATE_RUNNING));
    assertTrue(events.stream().anyMatch(e -> e.getJob().getProgress().getStep() > 0), "step progress is streamed");
    assertTrue(done.getHistoryList().stream().anyMatch(m -> m.getName().equals("macro_f1")
        && m.getSplit().equals("validation") && m.getEpoch() == 1), "per-epoch metrics: " + done.getHistoryList());
    assertTrue(done.hasEndTime() && done.hasStartTime());

    Model model = client.getModel(done.getResultModel());
    assertEquals(ModelKind.MODEL_KIND_TRAINED, model.getKind());
    assertEquals("minilm-l6@1", model.getBaseModel());
    assertEquals("feature-extraction", model.getStrategy());
    assertEquals(tiny.getId(), model.getDataset());
    assertEquals(tiny.getSha256(), model.getDatasetSha256());
    assertEquals(List.of("negative", "positive"), model.getLabelsList());
    assertTrue(model.getSizeBytes() < 5_000_000, "only the head is stored: " + model.getSizeBytes());

    PredictResponse all = client.predict("tiny-sentiment", Inputs.texts(List.of("an excellent, lovely place",
        "a horrible, rude place")), 0);
    assertEquals(model.getName() + "@" + model.getVersion(), all.getModel());
    assertEquals("positive", all.getPredictions(0).getClasses(0).getLabel());
    assertEquals("negative", all.getPredictions(1).getClasses(0).getLabel());
    double sum = all.getPredictions(0).getClassesList().stream().mapToDouble(c -> c.getScore()).sum();
    assertEquals(1.0, sum, 1e-4);
    assertTrue(all.getPredictions(0).getClasses(0).getScore() >= all.getPredictions(0).getClasses(1).getScore());
    PredictResponse top1 = client.predict("tiny-sentiment", Inputs.texts(List.of("great")), 1);
    assertEquals(1, top1.getPredictions(0).getClassesCount());

    assertEquals(JobState.JOB_STATE_SUCCEEDED, client.getJob(job.getId()).getState());
    assertTrue(client.listJobs().stream().anyMatch(j -> j.getId().equals(job.getId())));
    assertGraftError(Status.Code.FAILED_PRECONDITION, "MODEL_IN_USE", () -> client.deleteModel("minilm-l6"));
  }

  @Test
  void cancelStopsARunningJobWithinFiveSeconds() throws Exception {
    Job job = client.train(request("cancelled-model").setHyperparameters(Hyperparameters.newBuilder()
        .setEpochs(100_000).setEarlyStoppingPatience(100_000).setBatchSize(1)).build());
    var events = client.watch(job.getId());
    while (events.hasNext()) {
      if (events.next().getJob().getProgress().getStep() > 0) {
        break; // it is training
      }
    }
    long start = System.nanoTime();
    client.cancelJob(job.getId());
    Job done = client.awaitJob(job.getId(), Duration.ofSeconds(10), e -> {});
    double seconds = (System.nanoTime() - start) / 1e9;
    assertEquals(JobState.JOB_STATE_CANCELLED, done.getState());
    assertTrue(seconds < 5, "cancelled in " + seconds + " s");
    assertEquals(Status.Code.CANCELLED.value(), done.getError().getCode());
    assertGraftError(Status.Code.NOT_FOUND, "MODEL_NOT_FOUND", () -> client.getModel("cancelled-model"));
  }

  @Test
  void badTrainRequestsAreRefusedAtOnce() {
    assertGraftError(Status.Code.NOT_FOUND, "MODEL_NOT_FOUND",
        () -> client.train(request("x").setBaseModel("nope").build()));
    assertGraftError(Status.Code.INVALID_ARGUMENT, "UNKNOWN_STRATEGY", "strategy",
        () -> client.train(request("x").setStrategy("magic").build()));
    assertGraftError(Status.Code.INVALID_ARGUMENT, "MISSING_FIELD", "output_model",
        () -> client.train(request("").build()));
    assertGraftError(Status.Code.INVALID_ARGUMENT, "MISSING_FIELD", "train",
        () -> client.train(request("x").clearTrain().build()));
    assertGraftError(Status.Code.NOT_FOUND, "DATASET_NOT_FOUND",
        () -> client.train(request("x").setTrain(DataSource.newBuilder().setDataset("ds-missing")).build()));
    assertGraftError(Status.Code.INVALID_ARGUMENT, "EMPTY_TRAINING_DATA", "train",
        () -> client.train(request("x").setTrain(DataSource.newBuilder()
            .setExamples(InlineExamples.getDefaultInstance())).build()));
    assertGraftError(Status.Code.INVALID_ARGUMENT, "INVALID_HYPERPARAMETER", "hyperparameters.epochs",
        () -> client.train(request("x").setHyperparameters(Hyperparameters.newBuilder().setEpochs(-1)).build()));
    assertGraftError(Status.Code.INVALID_ARGUMENT, "INVALID_HYPERPARAMETER", "hyperparameters.extra[bogus]",
        () -> client.train(request("x").setHyperparameters(Hyperparameters.newBuilder().putExtra("bogus", "1")).build()));
    assertGraftError(Status.Code.INVALID_ARGUMENT, "UNKNOWN_DEVICE_POOL", "device_pool",
        () -> client.train(request("x").setDevicePool("gpus").build()));
    // Fine-tuning and knowledge transfer train BERT encoders now (ImportedEncoderTest shows the
    // FAILED_PRECONDITION for an encoder that cannot be rebuilt); their own options are checked
    // before a job exists.
    assertGraftError(Status.Code.INVALID_ARGUMENT, "INVALID_HYPERPARAMETER", "hyperparameters.extra[unfreeze]",
        () -> client.train(request("x").setStrategy("fine-tuning").setHyperparameters(
            Hyperparameters.newBuilder().putExtra("unfreeze", "most")).build()));
    assertGraftError(Status.Code.INVALID_ARGUMENT, "INVALID_HYPERPARAMETER", "hyperparameters.extra[warmup]",
        () -> client.train(request("x").setStrategy("knowledge-transfer").setHyperparameters(
            Hyperparameters.newBuilder().putExtra("warmup", "2")).build()));
    assertGraftError(Status.Code.INVALID_ARGUMENT, "TOO_FEW_CLASSES", "train",
        () -> client.train(request("x").setTrain(DataSource.newBuilder().setExamples(InlineExamples.newBuilder()
            .addExamples(Inputs.labelled("a", "only")).addExamples(Inputs.labelled("b", "only")))).build()));
    assertGraftError(Status.Code.NOT_FOUND, "JOB_NOT_FOUND", () -> client.getJob("job-missing"));
    assertGraftError(Status.Code.NOT_FOUND, "JOB_NOT_FOUND", () -> client.cancelJob("job-missing"));
    assertGraftError(Status.Code.NOT_FOUND, "JOB_NOT_FOUND", () -> client.watch("job-missing").hasNext());
    assertGraftError(Status.Code.FAILED_PRECONDITION, "NOT_A_TRAINED_MODEL",
        () -> client.predict("minilm-l6", Inputs.texts(List.of("x")), 0));
    assertFalse(client.listJobs().stream().anyMatch(j -> j.getOutputModel().equals("x")), "refused jobs leave no record");
  }
}
