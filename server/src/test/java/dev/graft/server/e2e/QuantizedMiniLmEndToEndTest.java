package dev.graft.server.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.api.v1.DataSource;
import dev.graft.api.v1.Dataset;
import dev.graft.api.v1.ExtractRequest;
import dev.graft.api.v1.ExtractResponse;
import dev.graft.api.v1.Hyperparameters;
import dev.graft.api.v1.Job;
import dev.graft.api.v1.JobState;
import dev.graft.api.v1.Model;
import dev.graft.api.v1.ModelKind;
import dev.graft.api.v1.PredictResponse;
import dev.graft.api.v1.TrainRequest;
import dev.graft.client.GraftClient;
import dev.graft.client.GraftException;
import dev.graft.client.Inputs;
import dev.graft.server.JobErrors;
import dev.graft.server.TestData;
import dev.graft.server.TestServer;
import io.grpc.Status;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The built-in int8 {@code minilm-l6-q}: installed at start, serves Extract (its last layer) and
 * trains and predicts with feature-extraction; earlier layers are UNIMPLEMENTED and the
 * strategies that need a trainable copy FAIL with FAILED_PRECONDITION NOT_BERT_SHAPED, saying the
 * graph is quantised.
 */
class QuantizedMiniLmEndToEndTest {
  @TempDir Path store;

  @Test
  void servesExtractAndFeatureExtractionButNotTrainingTheBackbone() throws Exception {
    try (TestServer server = TestServer.inProcess(store)) {
      GraftClient client = server.client();
      Model q = client.getModel("minilm-l6-q");
      assertEquals(ModelKind.MODEL_KIND_BASE, q.getKind());
      assertEquals("nlp", q.getDomain());
      assertEquals(384, q.getDimension());
      assertTrue(q.getPropertiesMap().get("source").contains("int8"), q.getPropertiesMap().toString());

      ExtractResponse x = client.extract(ExtractRequest.newBuilder().setModel("minilm-l6-q")
          .addInputs(Inputs.text("int8 and still useful")).setNormalize(true).build());
      assertEquals("minilm-l6-q@1", x.getModel());
      assertEquals("encoder.5", x.getLayer());
      assertEquals(384, x.getDimension());
      GraftException layer = assertThrows(GraftException.class,
          () -> client.extract(ExtractRequest.newBuilder().setModel("minilm-l6-q").setLayer("encoder.2")
              .addInputs(Inputs.text("x")).build()));
      assertEquals(Status.Code.UNIMPLEMENTED, layer.code(), layer.getMessage());
      assertEquals("INTERMEDIATE_LAYER_UNAVAILABLE", layer.reason());

      Dataset tiny = client.uploadExamples("tiny", "nlp", TestData.tinySentiment());
      Job done = train(client, "feature-extraction", "q-head", tiny);
      assertEquals(JobState.JOB_STATE_SUCCEEDED, done.getState(), done.getError().getMessage());
      assertEquals("minilm-l6-q@1", client.getModel("q-head").getBaseModel());
      PredictResponse p = client.predict("q-head", Inputs.texts(List.of("lovely, wonderful", "awful, horrible")), 0);
      assertEquals("positive", p.getPredictions(0).getClasses(0).getLabel());
      assertEquals("negative", p.getPredictions(1).getClasses(0).getLabel());

      for (String strategy : List.of("knowledge-transfer", "fine-tuning")) {
        Job failed = train(client, strategy, "q-" + strategy, tiny);
        assertEquals(JobState.JOB_STATE_FAILED, failed.getState());
        assertEquals(Status.Code.FAILED_PRECONDITION.value(), failed.getError().getCode());
        assertEquals("NOT_BERT_SHAPED", JobErrors.reason(failed));
        assertTrue(failed.getError().getMessage().contains("its graph is quantised"),
            failed.getError().getMessage());
      }
    }
  }

  private static Job train(GraftClient client, String strategy, String output, Dataset data) {
    Job job = client.train(TrainRequest.newBuilder().setBaseModel("minilm-l6-q").setStrategy(strategy)
        .setOutputModel(output).setTrain(DataSource.newBuilder().setDataset(data.getId()))
        .setValidationSplit(0.25f).setHyperparameters(Hyperparameters.newBuilder().setEpochs(
            strategy.equals("feature-extraction") ? 30 : 1).setBatchSize(8).setSeed(7))
        .build());
    return client.awaitJob(job.getId(), Duration.ofMinutes(5), e -> {});
  }
}
