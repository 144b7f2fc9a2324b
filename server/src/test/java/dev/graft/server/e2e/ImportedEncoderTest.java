package dev.graft.server.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.api.v1.DataSource;
import dev.graft.api.v1.Dataset;
import dev.graft.api.v1.ExtractRequest;
import dev.graft.api.v1.Hyperparameters;
import dev.graft.api.v1.Job;
import dev.graft.api.v1.JobState;
import dev.graft.api.v1.Model;
import dev.graft.api.v1.ModelSpec;
import dev.graft.api.v1.Pooling;
import dev.graft.api.v1.PredictResponse;
import dev.graft.api.v1.TrainRequest;
import dev.graft.client.GraftClient;
import dev.graft.client.Inputs;
import dev.graft.plugins.nlp.testing.TinyOnnx;
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
 * ImportModel with a BERT-family ONNX encoder and its tokenizer: served for Extract (any layer)
 * and feature extraction at once, and fine-tuned like a built-in; an encoder whose graph is not
 * BERT-shaped still serves Extract but fine-tuning and knowledge transfer fail with
 * FAILED_PRECONDITION NOT_BERT_SHAPED, saying why.
 */
class ImportedEncoderTest {
  @TempDir Path store;
  @TempDir Path files;

  @Test
  void importedEncodersServeAndTrainOrSayWhyNot() throws Exception {
    try (TestServer server = TestServer.inProcess(store)) {
      GraftClient client = server.client();
      Path minilm = store.resolve("models/minilm-l6/1");
      Model imported = importModel(client, "my-encoder", minilm.resolve("model.onnx"),
          minilm.resolve("tokenizer.json"));
      assertEquals(384, imported.getDimension());
      assertTrue(imported.getPropertiesMap().get("layers_available").contains("encoder.3"),
          imported.getPropertiesMap().toString());
      var third = client.extract(ExtractRequest.newBuilder().setModel("my-encoder").setLayer("encoder.3")
          .setPooling(Pooling.POOLING_CLS).addInputs(Inputs.text("imported and served")).build());
      assertEquals("encoder.3", third.getLayer());
      assertEquals(384, third.getDimension());

      Dataset tiny = client.uploadExamples("tiny", "nlp", TestData.tinySentiment());
      for (String strategy : List.of("feature-extraction", "fine-tuning")) {
        Job done = train(client, "my-encoder", strategy, "mine-" + strategy, tiny);
        assertEquals(JobState.JOB_STATE_SUCCEEDED, done.getState(), done.getError().getMessage());
        PredictResponse p = client.predict("mine-" + strategy, Inputs.texts(List.of("lovely")), 0);
        assertEquals(2, p.getPredictions(0).getClassesCount());
      }
      Model tuned = client.getModel("mine-fine-tuning");
      assertEquals("my-encoder@1", tuned.getBaseModel());
      assertEquals("fine-tuning", tuned.getStrategy());

      Path lookup = files.resolve("lookup.onnx");
      TinyOnnx.write(lookup, 30522, 8);
      importModel(client, "lookup", lookup, minilm.resolve("tokenizer.json"));
      assertEquals(8, client.extract(ExtractRequest.newBuilder().setModel("lookup")
          .addInputs(Inputs.text("still served")).build()).getDimension());
      for (String strategy : List.of("fine-tuning", "knowledge-transfer")) {
        Job failed = train(client, "lookup", strategy, "lookup-" + strategy, tiny);
        assertEquals(JobState.JOB_STATE_FAILED, failed.getState());
        assertEquals(Status.Code.FAILED_PRECONDITION.value(), failed.getError().getCode());
        assertEquals("NOT_BERT_SHAPED", JobErrors.reason(failed));
        assertTrue(failed.getError().getMessage().contains("embeddings.word_embeddings.weight"),
            failed.getError().getMessage());
      }
    }
  }

  private static Job train(GraftClient client, String base, String strategy, String output,
      Dataset data) {
    Job job = client.train(TrainRequest.newBuilder().setBaseModel(base).setStrategy(strategy)
        .setOutputModel(output).setTrain(DataSource.newBuilder().setDataset(data.getId()))
        .setValidationSplit(0.25f).setHyperparameters(Hyperparameters.newBuilder().setEpochs(1)
            .setBatchSize(8).putExtra(strategy.equals("feature-extraction") ? "hidden" : "max_tokens",
                strategy.equals("feature-extraction") ? "0" : "16"))
        .build());
    return client.awaitJob(job.getId(), Duration.ofMinutes(5), e -> {});
  }

  /** ImportModel: the spec, then the ONNX file (part "") and the tokenizer. */
  private static Model importModel(GraftClient client, String name, Path onnx, Path tokenizer) {
    return client.importModel(ModelSpec.newBuilder().setName(name).setDomain("nlp")
        .setFormat("onnx").build(), List.of(new GraftClient.Part("", onnx),
            new GraftClient.Part("tokenizer.json", tokenizer)));
  }
}
