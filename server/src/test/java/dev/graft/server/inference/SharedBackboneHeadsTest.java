package dev.graft.server.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.api.v1.DataSource;
import dev.graft.api.v1.Dataset;
import dev.graft.api.v1.Hyperparameters;
import dev.graft.api.v1.Job;
import dev.graft.api.v1.JobState;
import dev.graft.api.v1.Prediction;
import dev.graft.api.v1.PredictResponse;
import dev.graft.api.v1.TrainRequest;
import dev.graft.client.GraftClient;
import dev.graft.client.Inputs;
import dev.graft.server.TestData;
import dev.graft.server.TestServer;
import dev.graft.server.telemetry.Scrape;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Predict on different feature-extraction heads over one base model: concurrent calls share one
 * backbone pass, and each head still answers exactly what it answers alone.
 */
class SharedBackboneHeadsTest {
  private static final int HEADS = 4;

  @TempDir static Path store;
  static TestServer server;
  static GraftClient client;
  static List<String> heads = new ArrayList<>();

  @BeforeAll
  static void trainHeads() throws Exception {
    // one inference slot: one backbone pass at a time, so calls that arrive meanwhile queue
    server = TestServer.onPort(store, "inference-slots", "1");
    client = server.client();
    Dataset tiny = client.uploadExamples("tiny", "nlp", TestData.tinySentiment());
    for (int h = 0; h < HEADS; h++) {
      Job job = client.train(TrainRequest.newBuilder().setBaseModel("minilm-l6").setStrategy("feature-extraction")
          .setOutputModel("head-" + h).setTrain(DataSource.newBuilder().setDataset(tiny.getId()))
          .setHyperparameters(Hyperparameters.newBuilder().setSeed(h + 1).setEpochs(5 + 5 * h)).build());
      Job done = client.awaitJob(job.getId(), Duration.ofMinutes(2), e -> { });
      assertEquals(JobState.JOB_STATE_SUCCEEDED, done.getState(), done.getError().getMessage());
      heads.add(done.getResultModel());
    }
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  void concurrentCallsOnDifferentHeadsShareBackbonePassesAndAnswerAsAlone() throws Exception {
    List<String> sentences = List.of("great food and a lovely place", "rude staff, never again",
        "it was fine I guess", "the best evening in months");
    // alone, one after another: each head's own answer (and the first call shows it is a head)
    List<List<Prediction>> alone = new ArrayList<>();
    for (String head : heads) {
      alone.add(client.predict(head, Inputs.texts(sentences), 0).getPredictionsList());
    }
    assertTrue(!alone.get(0).equals(alone.get(HEADS - 1)), "the heads differ, or this test proves nothing");

    List<String> busy = new ArrayList<>();
    for (int i = 0; i < 96; i++) {
      busy.add(String.join(" ", Collections.nCopies(6, TestData.tinySentiment().get(i % 16).getInput().getText().getText())));
    }
    Scrape before = Scrape.of(server.httpPort());
    ExecutorService callers = Executors.newCachedThreadPool();
    try {
      Future<PredictResponse> hold = callers.submit(() -> client.predict(heads.get(0), Inputs.texts(busy), 0));
      Thread.sleep(300); // the long call holds the one slot; what follows queues behind it
      List<Future<PredictResponse>> calls = new ArrayList<>();
      for (int i = 0; i < 2 * HEADS * sentences.size(); i++) {
        String head = heads.get(i % HEADS);
        String sentence = sentences.get(i / HEADS % sentences.size());
        calls.add(callers.submit(() -> client.predict(head, Inputs.texts(List.of(sentence)), 0)));
      }
      assertEquals(busy.size(), hold.get().getPredictionsCount());
      for (int i = 0; i < calls.size(); i++) {
        PredictResponse r = calls.get(i).get();
        assertEquals(heads.get(i % HEADS), r.getModel());
        Prediction expected = alone.get(i % HEADS).get(i / HEADS % sentences.size());
        for (int c = 0; c < expected.getClassesCount(); c++) {
          assertEquals(expected.getClasses(c).getLabel(), r.getPredictions(0).getClasses(c).getLabel());
          assertEquals(expected.getClasses(c).getScore(), r.getPredictions(0).getClasses(c).getScore(), 1e-5,
              "call " + i + " on " + r.getModel() + " answers as alone");
        }
      }
    } finally {
      callers.shutdownNow();
    }
    Scrape after = Scrape.of(server.httpPort());
    double passes = after.value("graft_inference_batch_size") - before.value("graft_inference_batch_size");
    double inputs = after.histogramSum("graft_inference_batch_size") - before.histogramSum("graft_inference_batch_size");
    System.out.printf("SharedBackboneHeadsTest: %d calls on %d heads ran as %.0f backbone passes%n",
        1 + 2 * HEADS * sentences.size(), HEADS, passes);
    assertEquals(busy.size() + 2 * HEADS * sentences.size(), inputs, 0.0, "every input went through the backbone once");
    assertTrue(passes <= 3, "the 32 one-sentence calls on four heads merged into shared passes: " + passes);
  }
}
