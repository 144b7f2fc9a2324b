package dev.graft.server.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.api.v1.DataSource;
import dev.graft.api.v1.Dataset;
import dev.graft.api.v1.DatasetFormat;
import dev.graft.api.v1.Hyperparameters;
import dev.graft.api.v1.Job;
import dev.graft.api.v1.JobEvent;
import dev.graft.api.v1.JobState;
import dev.graft.api.v1.Model;
import dev.graft.api.v1.TrainRequest;
import dev.graft.client.GraftClient;
import dev.graft.server.TestServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * On a real port: a model fine-tuned from MiniLM beats the feature-extraction model trained on the
 * same data with the same seed, on held-out sentences of the fixed yelp + amazon split. A subset
 * (400 training sentences, max_tokens 64, 2 epochs) keeps it to about a minute on one CPU thread.
 */
class FineTuningBeatsFeatureExtractionTest {
  static final int TRAIN = 400;
  static final int HELD_OUT = 400;
  @TempDir Path store;
  @TempDir Path files;

  @Test
  void fineTunedModelBeatsFeatureExtraction() throws Exception {
    HeldOut split = HeldOut.split(files, TRAIN, HELD_OUT);
    try (TestServer server = TestServer.onPort(store, "access-log", "false")) {
      GraftClient client = server.client();
      Dataset data = client.uploadDataset("subset", "nlp", DatasetFormat.DATASET_FORMAT_JSONL,
          split.trainFile);
      assertEquals(TRAIN, data.getExamples());

      long start = System.nanoTime();
      Job fe = run(client, data, "feature-extraction", "fe", Hyperparameters.newBuilder().setSeed(11),
          new ArrayList<>());
      double feSeconds = (System.nanoTime() - start) / 1e9;
      start = System.nanoTime();
      List<JobEvent> events = new ArrayList<>();
      Job ft = run(client, data, "fine-tuning", "ft", Hyperparameters.newBuilder().setSeed(11)
          .setEpochs(2).putExtra("max_tokens", "64"), events);
      double ftSeconds = (System.nanoTime() - start) / 1e9;

      HeldOut.Score feScore = split.score(client, "fe");
      HeldOut.Score ftScore = split.score(client, "ft");
      System.out.printf(Locale.ROOT, "held-out accuracy on %d sentences after training on %d:"
              + " feature extraction %.4f (F1 %.4f, %.0f s), fine-tuning %.4f (F1 %.4f, %.0f s)%n",
          feScore.n(), TRAIN, feScore.accuracy(), feScore.macroF1(), feSeconds,
          ftScore.accuracy(), ftScore.macroF1(), ftSeconds);
      assertTrue(ftScore.accuracy() > feScore.accuracy(),
          "fine-tuning " + ftScore + " should beat feature extraction " + feScore);

      // Progress per step, metrics per epoch and lineage, as feature extraction reports them.
      assertTrue(events.stream().filter(e -> e.getJob().getProgress().getStep() > 0).count() >= 20,
          "step progress is streamed");
      for (int epoch = 1; epoch <= 2; epoch++) {
        for (String metric : List.of("loss", "accuracy", "macro_f1")) {
          int e = epoch;
          assertTrue(ft.getHistoryList().stream().anyMatch(m -> m.getEpoch() == e
              && m.getSplit().equals("validation") && m.getName().equals(metric)), metric + " " + e);
        }
      }
      Model model = client.getModel("ft");
      assertEquals("minilm-l6@1", model.getBaseModel());
      assertEquals("fine-tuning", model.getStrategy());
      assertEquals(data.getId(), model.getDataset());
      assertEquals(data.getSha256(), model.getDatasetSha256());
      assertEquals("64", model.getPropertiesMap().get("backbone.max_tokens"));
      assertEquals("encoder.2,encoder.3,encoder.4,encoder.5",
          model.getPropertiesMap().get("trained_groups"));
    }
  }

  private static Job run(GraftClient client, Dataset data, String strategy, String output,
      Hyperparameters.Builder h, List<JobEvent> events) {
    Job job = client.train(TrainRequest.newBuilder().setBaseModel("minilm-l6").setStrategy(strategy)
        .setOutputModel(output).setTrain(DataSource.newBuilder().setDataset(data.getId()))
        .setHyperparameters(h).build());
    Job done = client.awaitJob(job.getId(), Duration.ofMinutes(10), events::add);
    assertEquals(JobState.JOB_STATE_SUCCEEDED, done.getState(), done.getError().getMessage());
    return done;
  }
}
