package dev.graft.server.api;

import static dev.graft.server.api.Assertions2.assertGraftError;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.graft.api.v1.DataSource;
import dev.graft.api.v1.Dataset;
import dev.graft.api.v1.Hyperparameters;
import dev.graft.api.v1.Job;
import dev.graft.api.v1.JobState;
import dev.graft.api.v1.Model;
import dev.graft.api.v1.TrainRequest;
import dev.graft.client.GraftClient;
import dev.graft.client.Inputs;
import dev.graft.server.TestData;
import dev.graft.server.TestServer;
import io.grpc.Status;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SetModelAlias / DeleteModelAlias: NAME:ALIAS names one version wherever a model is named, until moved. */
class ModelAliasApiTest {
  @TempDir Path store;

  private static Model train(GraftClient client, Dataset data) {
    Job job = client.train(TrainRequest.newBuilder().setBaseModel("minilm-l6").setStrategy("feature-extraction")
        .setOutputModel("tiny").setTrain(DataSource.newBuilder().setDataset(data.getId()))
        .setHyperparameters(Hyperparameters.newBuilder().setEpochs(2).putExtra("hidden", "0")).build());
    Job done = client.awaitJob(job.getId(), Duration.ofMinutes(2), e -> { });
    assertEquals(JobState.JOB_STATE_SUCCEEDED, done.getState(), done.getError().getMessage());
    return client.getModel(done.getResultModel());
  }

  private static String answeredBy(GraftClient client, String model) {
    return client.predict(model, Inputs.texts(List.of("great")), 1).getModel();
  }

  @Test
  void anAliasKeepsNamingItsVersionAcrossRetrainsUntilMoved() throws Exception {
    try (TestServer server = TestServer.inProcess(store)) {
      GraftClient client = server.client();
      Dataset data = client.uploadExamples("tiny", "nlp", TestData.tinySentiment());
      train(client, data);
      Model prod = client.setModelAlias("tiny", "prod", 1);
      assertEquals(List.of("prod"), prod.getAliasesList());
      assertEquals("tiny@1", answeredBy(client, "tiny:prod"));

      train(client, data); // tiny@2: the bare name follows it, the alias does not
      assertEquals("tiny@2", answeredBy(client, "tiny"));
      assertEquals("tiny@1", answeredBy(client, "tiny:prod"));
      assertEquals(1, client.getModel("tiny:prod").getVersion());
      assertEquals(List.of(), client.getModel("tiny@2").getAliasesList());

      client.setModelAlias("tiny", "canary", 2);
      client.setModelAlias("tiny", "prod", 2); // moved atomically
      assertEquals("tiny@2", answeredBy(client, "tiny:prod"));
      assertEquals(List.of("canary", "prod"), client.getModel("tiny@2").getAliasesList());
      assertEquals(List.of(), client.listModels().stream().filter(m -> m.getName().equals("tiny")
          && m.getVersion() == 1).findFirst().orElseThrow().getAliasesList());

      assertGraftError(Status.Code.FAILED_PRECONDITION, "MODEL_ALIASED", () -> client.deleteModel("tiny@2"));
      client.deleteModelAlias("tiny", "prod");
      client.deleteModelAlias("tiny", "canary");
      assertGraftError(Status.Code.NOT_FOUND, "MODEL_NOT_FOUND", () -> client.getModel("tiny:prod"));
      client.deleteModel("tiny@2");
      client.setModelAlias("tiny", "kept", 1);
    }
    try (TestServer again = TestServer.inProcess(store)) {
      assertEquals(List.of("kept", "stable"), again.client().setModelAlias("tiny", "stable", 1).getAliasesList());
      assertEquals("tiny@1", answeredBy(again.client(), "tiny:stable"));
      assertEquals(List.of("kept", "stable"), again.client().getModel("tiny@1").getAliasesList(),
          "aliases are stored: they survive a restart");
    }
  }

  @Test
  void badAliasesAreRefusedPrecisely() throws Exception {
    try (TestServer server = TestServer.inProcess(store)) {
      GraftClient client = server.client();
      train(client, client.uploadExamples("tiny", "nlp", TestData.tinySentiment()));
      assertGraftError(Status.Code.INVALID_ARGUMENT, "INVALID_ALIAS", "alias", () -> client.setModelAlias("tiny", "Prod", 1));
      assertGraftError(Status.Code.INVALID_ARGUMENT, "INVALID_ALIAS", "alias", () -> client.setModelAlias("tiny", "3", 1));
      assertGraftError(Status.Code.INVALID_ARGUMENT, "MISSING_FIELD", "version", () -> client.setModelAlias("tiny", "prod", 0));
      assertGraftError(Status.Code.INVALID_ARGUMENT, "INVALID_MODEL_NAME", "name",
          () -> client.setModelAlias("tiny@1", "prod", 1));
      assertGraftError(Status.Code.NOT_FOUND, "MODEL_NOT_FOUND", () -> client.setModelAlias("tiny", "prod", 9));
      assertGraftError(Status.Code.NOT_FOUND, "ALIAS_NOT_FOUND", () -> client.deleteModelAlias("tiny", "prod"));
      assertGraftError(Status.Code.INVALID_ARGUMENT, "INVALID_ALIAS", "name", () -> client.getModel("tiny:PROD"));
      assertGraftError(Status.Code.NOT_FOUND, "MODEL_NOT_FOUND", () -> client.predict("tiny:none",
          Inputs.texts(List.of("x")), 1));
    }
  }
}
