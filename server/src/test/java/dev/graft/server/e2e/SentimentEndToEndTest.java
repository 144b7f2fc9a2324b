package dev.graft.server.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.api.v1.DataSource;
import dev.graft.api.v1.Dataset;
import dev.graft.api.v1.DatasetFormat;
import dev.graft.api.v1.ExtractRequest;
import dev.graft.api.v1.Job;
import dev.graft.api.v1.JobState;
import dev.graft.api.v1.PredictResponse;
import dev.graft.api.v1.TrainRequest;
import dev.graft.client.GraftClient;
import dev.graft.client.GraftException;
import dev.graft.client.Inputs;
import dev.graft.server.TestData;
import dev.graft.server.TestServer;
import io.grpc.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole slice on a real loopback port: upload 80% of the yelp + amazon sentences, train a
 * feature-extraction head on MiniLM embeddings, and predict the held-out 20% (fixed seed).
 */
class SentimentEndToEndTest {
  @TempDir Path store;
  @TempDir Path files;

  @Test
  void featureExtractionReachesHeldOutAccuracy() throws Exception {
    List<String> lines = new ArrayList<>(TestData.sentimentLines());
    Collections.shuffle(lines, new Random(7));
    int cut = (int) (lines.size() * 0.8);
    Path train = files.resolve("train.jsonl");
    Files.write(train, lines.subList(0, cut));
    List<TestData.Labelled> heldOut = lines.subList(cut, lines.size()).stream().map(TestData::parse).toList();

    try (TestServer server = TestServer.onPort(store)) {
      GraftClient client = server.client();
      Dataset dataset = client.uploadDataset("sentiment", "nlp", DatasetFormat.DATASET_FORMAT_JSONL, train);
      assertEquals(cut, dataset.getExamples());

      Job job = client.train(TrainRequest.newBuilder().setBaseModel("minilm-l6").setStrategy("feature-extraction")
          .setOutputModel("sentiment").setTrain(DataSource.newBuilder().setDataset(dataset.getId())).build());
      Job done = client.awaitJob(job.getId(), Duration.ofMinutes(10), e -> {});
      assertEquals(JobState.JOB_STATE_SUCCEEDED, done.getState(), done.getError().getMessage());

      int correct = 0;
      for (int from = 0; from < heldOut.size(); from += 64) {
        List<TestData.Labelled> batch = heldOut.subList(from, Math.min(heldOut.size(), from + 64));
        PredictResponse r = client.predict("sentiment", Inputs.texts(batch.stream().map(TestData.Labelled::text).toList()), 1);
        for (int i = 0; i < batch.size(); i++) {
          if (r.getPredictions(i).getClasses(0).getLabel().equals(batch.get(i).label())) {
            correct++;
          }
        }
      }
      double accuracy = (double) correct / heldOut.size();
      System.out.printf("held-out accuracy of feature extraction on MiniLM: %.4f (%d/%d)%n",
          accuracy, correct, heldOut.size());
      assertTrue(accuracy >= 0.85, "held-out accuracy " + accuracy);

      // A second job on the same data reuses the cached embeddings and is much faster.
      long start = System.nanoTime();
      Job again = client.train(TrainRequest.newBuilder().setBaseModel("minilm-l6").setStrategy("feature-extraction")
          .setOutputModel("sentiment").setTrain(DataSource.newBuilder().setDataset(dataset.getId())).build());
      Job againDone = client.awaitJob(again.getId(), Duration.ofMinutes(5), e -> {});
      assertEquals(JobState.JOB_STATE_SUCCEEDED, againDone.getState());
      assertEquals("sentiment@2", againDone.getResultModel());
      System.out.printf("second job on cached embeddings: %.1f s%n", (System.nanoTime() - start) / 1e9);
    }
  }

  @Test
  void oversizedMessageIsResourceExhausted() throws Exception {
    try (TestServer server = TestServer.onPort(store, "max-inbound-message-bytes", "65536")) {
      String big = "word ".repeat(40_000);
      GraftException e = org.junit.jupiter.api.Assertions.assertThrows(GraftException.class,
          () -> server.client().extract(ExtractRequest.newBuilder().setModel("minilm-l6")
              .addInputs(Inputs.text(big)).build()));
      assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.code(), e.getMessage());
      // The server is still fine.
      assertEquals(1, server.client().extract(ExtractRequest.newBuilder().setModel("minilm-l6")
          .addInputs(Inputs.text("still alive")).build()).getFeaturesCount());
    }
  }
}
