package dev.graft.server.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Any;
import com.google.rpc.BadRequest;
import com.google.rpc.ErrorInfo;
import dev.graft.api.v1.DataSource;
import dev.graft.api.v1.Dataset;
import dev.graft.api.v1.GetJobRequest;
import dev.graft.api.v1.Hyperparameters;
import dev.graft.api.v1.Job;
import dev.graft.api.v1.JobState;
import dev.graft.api.v1.ModelSpec;
import dev.graft.api.v1.TrainRequest;
import dev.graft.api.v1.TrainingServiceGrpc;
import dev.graft.client.GraftClient;
import dev.graft.server.TestData;
import dev.graft.server.TestServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A job that fails at run time keeps its error's field: the output name became a base model's
 * while the job trained, so publishing fails with INVALID_ARGUMENT NAME_TAKEN_BY_BASE on
 * output_model, and GetJob's error carries the ErrorInfo reason and the BadRequest field.
 */
class JobFailureFieldTest {
  @TempDir Path store;

  @Test
  void aNameTakenByABaseModelWhileTrainingFailsTheJobOnOutputModel() throws Exception {
    try (TestServer server = TestServer.inProcess(store)) {
      GraftClient client = server.client();
      Dataset tiny = client.uploadExamples("tiny", "nlp", TestData.tinySentiment());
      Job job = client.train(TrainRequest.newBuilder().setBaseModel("minilm-l6").setStrategy("feature-extraction")
          .setOutputModel("clash").setTrain(DataSource.newBuilder().setDataset(tiny.getId()))
          .setHyperparameters(Hyperparameters.newBuilder().setEpochs(400).setEarlyStoppingPatience(400)).build());
      // While it trains, "clash" becomes a base model: a copy of ts-encoder's weights.
      Path weights = store.resolve("models/ts-encoder/1/encoder.params");
      client.importModel(ModelSpec.newBuilder().setName("clash").setDomain("timeseries").setFormat("graft-ts").build(),
          List.of(new GraftClient.Part("", weights), new GraftClient.Part("encoder.params", weights)));
      Job done = client.awaitJob(job.getId(), Duration.ofMinutes(3), e -> { });
      assertEquals(JobState.JOB_STATE_FAILED, done.getState(), done.toString());
      Job got = TrainingServiceGrpc.newBlockingStub(server.channel())
          .getJob(GetJobRequest.newBuilder().setId(job.getId()).build());
      assertEquals(io.grpc.Status.Code.INVALID_ARGUMENT.value(), got.getError().getCode());
      String reason = "";
      String field = "";
      for (Any detail : got.getError().getDetailsList()) {
        if (detail.is(ErrorInfo.class)) {
          reason = detail.unpack(ErrorInfo.class).getReason();
        } else if (detail.is(BadRequest.class)) {
          field = detail.unpack(BadRequest.class).getFieldViolations(0).getField();
        }
      }
      assertEquals("NAME_TAKEN_BY_BASE", reason);
      assertEquals("output_model", field);
      assertTrue(got.getError().getMessage().contains("'clash' is a base model"), got.getError().getMessage());
    }
    try (TestServer server = TestServer.inProcess(store)) { // the field is stored with the job
      Job again = TrainingServiceGrpc.newBlockingStub(server.channel()).listJobs(
          dev.graft.api.v1.ListJobsRequest.getDefaultInstance()).getJobs(0);
      assertTrue(again.getError().getDetailsList().stream().anyMatch(d -> d.is(BadRequest.class)),
          again.getError().toString());
    }
  }
}
