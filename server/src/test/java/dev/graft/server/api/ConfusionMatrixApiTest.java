package dev.graft.server.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.api.v1.ConfusionMatrix;
import dev.graft.api.v1.DataSource;
import dev.graft.api.v1.Dataset;
import dev.graft.api.v1.Example;
import dev.graft.api.v1.Hyperparameters;
import dev.graft.api.v1.Job;
import dev.graft.api.v1.JobState;
import dev.graft.api.v1.Metric;
import dev.graft.api.v1.Model;
import dev.graft.api.v1.TrainRequest;
import dev.graft.client.GraftClient;
import dev.graft.client.Inputs;
import dev.graft.server.TestData;
import dev.graft.server.TestServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A trained classifier keeps its validation confusion matrix; GetModel returns it, across a restart too. */
class ConfusionMatrixApiTest {
  @TempDir Path store;

  @Test
  void aTrainedClassifierHasItsValidationConfusionMatrix() throws Exception {
    List<Example> validation = new ArrayList<>();
    List<Example> train = new ArrayList<>();
    // 60 of the sentiment sentences to validate on (an uneven 60, so the matrix is not trivially
    // symmetric), the next 200 to train on.
    List<String> lines = TestData.sentimentLines();
    for (int i = 0; i < 260; i++) {
      TestData.Labelled l = TestData.parse(lines.get(i));
      (i < 60 ? validation : train).add(Inputs.labelled(l.text(), l.label()));
    }
    Model model;
    try (TestServer server = TestServer.inProcess(store)) {
      GraftClient client = server.client();
      Dataset trainSet = client.uploadExamples("cm-train", "nlp", train);
      Dataset validationSet = client.uploadExamples("cm-validation", "nlp", validation);
      Job job = client.train(TrainRequest.newBuilder().setBaseModel("minilm-l6").setStrategy("feature-extraction")
          .setOutputModel("cm").setTrain(DataSource.newBuilder().setDataset(trainSet.getId()))
          .setValidation(DataSource.newBuilder().setDataset(validationSet.getId()))
          .setHyperparameters(Hyperparameters.newBuilder().setEpochs(8)).build());
      Job done = client.awaitJob(job.getId(), Duration.ofMinutes(3), e -> { });
      assertEquals(JobState.JOB_STATE_SUCCEEDED, done.getState(), done.getError().getMessage());
      model = client.getModel(done.getResultModel());

      ConfusionMatrix matrix = model.getConfusionMatrix();
      assertEquals(model.getLabelsList(), matrix.getLabelsList());
      assertEquals("validation", matrix.getSplit());
      int k = matrix.getLabelsCount();
      assertEquals(2, k);
      assertEquals(k * k, matrix.getCountsCount());
      long total = matrix.getCountsList().stream().mapToLong(Long::longValue).sum();
      assertEquals(validation.size(), total, "the counts cover the validation split");
      long diagonal = 0;
      for (int i = 0; i < k; i++) {
        diagonal += matrix.getCounts(i * k + i);
      }
      double accuracy = model.getMetricsList().stream()
          .filter(m -> m.getName().equals("accuracy") && m.getSplit().equals("validation") && m.getEpoch() == 0)
          .mapToDouble(Metric::getValue).findFirst().orElseThrow();
      assertEquals(accuracy, (double) diagonal / total, 1e-9, "the diagonal is the kept model's accuracy");
      assertTrue(diagonal > total / 2, "better than chance: " + matrix);
      for (int i = 0; i < k; i++) {
        String label = matrix.getLabels(i);
        long truth = validation.stream().filter(e -> e.getTarget().getLabel().equals(label)).count();
        long row = matrix.getCounts(i * k) + matrix.getCounts(i * k + 1);
        assertEquals(truth, row, "row " + label + " counts the examples labelled " + label);
      }
      Model base = client.getModel("minilm-l6");
      assertFalse(base.hasConfusionMatrix(), "a base model has none");
    }
    try (TestServer server = TestServer.inProcess(store)) {
      assertEquals(model.getConfusionMatrix(), server.client().getModel(model.getName() + "@" + model.getVersion())
          .getConfusionMatrix(), "stored with the model");
    }
  }
}
