package dev.graft.server.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.api.v1.DataSource;
import dev.graft.api.v1.Dataset;
import dev.graft.api.v1.DatasetFormat;
import dev.graft.api.v1.EstimateTransferRequest;
import dev.graft.api.v1.EstimateTransferResponse;
import dev.graft.api.v1.Example;
import dev.graft.api.v1.InlineExamples;
import dev.graft.api.v1.Job;
import dev.graft.api.v1.JobState;
import dev.graft.api.v1.Target;
import dev.graft.api.v1.Task;
import dev.graft.api.v1.TrainRequest;
import dev.graft.api.v1.TrainingServiceGrpc;
import dev.graft.api.v1.TransferEstimate;
import dev.graft.client.Inputs;
import dev.graft.server.TestData;
import dev.graft.server.TestServer;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * EstimateTransfer on a real server with the built-in base models: rankings, the feature cache
 * shared with feature-extraction jobs in both directions, and every refusal with its reason.
 */
class EstimateTransferTest {
  @TempDir Path store;
  @TempDir Path files;

  private static List<String> sentiment(int n) throws IOException {
    List<String> lines = new ArrayList<>(TestData.sentimentLines());
    Collections.shuffle(lines, new Random(11));
    return lines.subList(0, n);
  }

  private static DataSource inline(List<Example> examples) {
    return DataSource.newBuilder().setExamples(InlineExamples.newBuilder().addAllExamples(examples)).build();
  }

  private static List<Example> labelled(List<String> lines, boolean shuffleLabels) {
    List<TestData.Labelled> parsed = lines.stream().map(TestData::parse).toList();
    List<String> labels = new ArrayList<>(parsed.stream().map(TestData.Labelled::label).toList());
    if (shuffleLabels) {
      Collections.shuffle(labels, new Random(5));
    }
    List<Example> out = new ArrayList<>();
    for (int i = 0; i < parsed.size(); i++) {
      out.add(Inputs.labelled(parsed.get(i).text(), labels.get(i)));
    }
    return out;
  }

  private static long cacheFiles(Path store) throws IOException {
    Path dir = store.resolve("cache").resolve("features");
    if (!Files.isDirectory(dir)) {
      return 0;
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.toString().endsWith(".f32")).count();
    }
  }

  private static void assertSortedBestFirst(EstimateTransferResponse r) {
    for (int i = 1; i < r.getEstimatesCount(); i++) {
      assertTrue(r.getEstimates(i - 1).getLogme() >= r.getEstimates(i).getLogme(), "best first: " + r);
    }
  }

  @Test
  void ranksEveryTextBaseAndSharesTheFeatureCacheWithJobs() throws Exception {
    Path data = files.resolve("sentiment.jsonl");
    Files.write(data, sentiment(150));
    try (TestServer server = TestServer.inProcess(store)) {
      var stub = TrainingServiceGrpc.newBlockingStub(server.channel());
      Dataset dataset = server.client().uploadDataset("sentiment", "nlp", DatasetFormat.DATASET_FORMAT_JSONL, data);
      DataSource source = DataSource.newBuilder().setDataset(dataset.getId()).build();

      // A feature-extraction job first: its features serve the estimate (job -> estimate).
      Job job = server.client().train(TrainRequest.newBuilder().setBaseModel("minilm-l6")
          .setStrategy("feature-extraction").setOutputModel("sentiment-head").setTrain(source).build());
      Job done = server.client().awaitJob(job.getId(), Duration.ofMinutes(5), e -> {});
      assertEquals(JobState.JOB_STATE_SUCCEEDED, done.getState(), done.getError().getMessage());
      assertEquals(2, cacheFiles(store), "the job cached its train and validation features");

      EstimateTransferResponse first = stub.estimateTransfer(EstimateTransferRequest.newBuilder()
          .setData(source).build());
      assertEquals(Task.TASK_CLASSIFICATION, first.getTask());
      assertEquals(150, first.getExamples());
      assertEquals(List.of("bge-small-en@1", "minilm-l6-q@1", "minilm-l6@1"),
          first.getEstimatesList().stream().map(TransferEstimate::getBaseModel).sorted().toList(),
          "every base model of the text domain");
      assertSortedBestFirst(first);
      for (TransferEstimate e : first.getEstimatesList()) {
        assertEquals(384, e.getDimension(), e.toString());
        assertTrue(Double.isFinite(e.getLogme()), e.toString());
        assertTrue(e.hasProbeScore() && e.getProbeScore() > 0.7, "sentiment is easy for a probe: " + e);
        assertTrue(e.getSeconds() > 0, e.toString());
        assertEquals(e.getBaseModel().equals("minilm-l6@1"), e.getCached(), "only the job's base was cached: " + e);
      }
      assertEquals(6, cacheFiles(store), "two more bases, two splits each");

      // Again: everything from the cache, same scores.
      EstimateTransferResponse second = stub.estimateTransfer(EstimateTransferRequest.newBuilder()
          .setData(source).build());
      assertTrue(second.getEstimatesList().stream().allMatch(TransferEstimate::getCached), second.toString());
      for (int i = 0; i < first.getEstimatesCount(); i++) {
        assertEquals(first.getEstimates(i).getBaseModel(), second.getEstimates(i).getBaseModel());
        assertEquals(first.getEstimates(i).getLogme(), second.getEstimates(i).getLogme(), 1e-9);
      }
      assertEquals(6, cacheFiles(store));

      // Estimate -> job: a job on a base the estimate scored computes nothing new.
      Job later = server.client().train(TrainRequest.newBuilder().setBaseModel("minilm-l6-q")
          .setStrategy("feature-extraction").setOutputModel("sentiment-head-q").setTrain(source).build());
      Job laterDone = server.client().awaitJob(later.getId(), Duration.ofMinutes(5), e -> {});
      assertEquals(JobState.JOB_STATE_SUCCEEDED, laterDone.getState(), laterDone.getError().getMessage());
      assertEquals(6, cacheFiles(store), "the job found the estimate's features");

      // A trained model is not a candidate.
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> stub.estimateTransfer(
          EstimateTransferRequest.newBuilder().setData(source).addBaseModels("sentiment-head").build()));
      assertEquals(Status.Code.FAILED_PRECONDITION + " BASE_MODEL_REQUIRED",
          e.getStatus().getCode() + " " + MalformedCorpusTest.reason(e));
    }
  }

  @Test
  void trueLabelsScoreAboveShuffledOnesAndInlineDataIsNotCached() throws Exception {
    List<String> lines = sentiment(120);
    try (TestServer server = TestServer.inProcess(store)) {
      var stub = TrainingServiceGrpc.newBlockingStub(server.channel());
      EstimateTransferResponse real = stub.estimateTransfer(EstimateTransferRequest.newBuilder()
          .setData(inline(labelled(lines, false))).addBaseModels("minilm-l6").build());
      EstimateTransferResponse noise = stub.estimateTransfer(EstimateTransferRequest.newBuilder()
          .setData(inline(labelled(lines, true))).addBaseModels("minilm-l6").build());
      TransferEstimate r = real.getEstimates(0);
      TransferEstimate n = noise.getEstimates(0);
      assertTrue(r.getLogme() > n.getLogme() + 0.05, "true labels " + r.getLogme() + " vs shuffled " + n.getLogme());
      assertTrue(r.getProbeScore() > n.getProbeScore(), "probe " + r.getProbeScore() + " vs " + n.getProbeScore());
      assertFalse(r.getCached() || n.getCached(), "inline data is not cached");
      assertEquals(0, cacheFiles(store));

      // max_examples samples the data.
      EstimateTransferResponse sampled = stub.estimateTransfer(EstimateTransferRequest.newBuilder()
          .setData(inline(labelled(lines, false))).addBaseModels("minilm-l6").setMaxExamples(40).build());
      assertEquals(40, sampled.getExamples());
    }
  }

  @Test
  void regressionOnSeriesPrefersAnInformativeTarget() throws Exception {
    Random random = new Random(2);
    List<Example> slope = new ArrayList<>();
    List<Example> noise = new ArrayList<>();
    for (int i = 0; i < 80; i++) {
      float trend = (float) (random.nextDouble() * 2 - 1);
      float[] values = new float[48];
      for (int t = 0; t < values.length; t++) {
        values[t] = trend * t / 8f + (float) Math.sin(t / 3.0) + (float) random.nextGaussian() * 0.1f;
      }
      slope.add(Example.newBuilder().setInput(Inputs.series(values)).setTarget(Target.newBuilder().setValue(trend)).build());
      noise.add(Example.newBuilder().setInput(Inputs.series(values))
          .setTarget(Target.newBuilder().setValue((float) random.nextGaussian())).build());
    }
    try (TestServer server = TestServer.inProcess(store)) {
      var stub = TrainingServiceGrpc.newBlockingStub(server.channel());
      EstimateTransferResponse informative = stub.estimateTransfer(EstimateTransferRequest.newBuilder()
          .setData(inline(slope)).build());
      EstimateTransferResponse blind = stub.estimateTransfer(EstimateTransferRequest.newBuilder()
          .setData(inline(noise)).build());
      assertEquals(Task.TASK_REGRESSION, informative.getTask());
      assertEquals("ts-encoder@1", informative.getEstimates(0).getBaseModel(), "the time-series base");
      assertTrue(informative.getEstimates(0).getLogme() > blind.getEstimates(0).getLogme(),
          informative + " vs " + blind);
      assertTrue(informative.getEstimates(0).getProbeScore() > blind.getEstimates(0).getProbeScore(),
          informative + " vs " + blind);
    }
  }

  @Test
  void refusesBadRequestsWithTheirReasons() throws Exception {
    List<Example> tiny = TestData.tinySentiment();
    try (TestServer server = TestServer.inProcess(store)) {
      var stub = TrainingServiceGrpc.newBlockingStub(server.channel());
      DataSource text = inline(tiny);
      assertRefused(stub, Status.Code.INVALID_ARGUMENT, "MISSING_FIELD", EstimateTransferRequest.newBuilder());
      assertRefused(stub, Status.Code.NOT_FOUND, "DATASET_NOT_FOUND", EstimateTransferRequest.newBuilder()
          .setData(DataSource.newBuilder().setDataset("no-such-dataset")));
      assertRefused(stub, Status.Code.NOT_FOUND, "MODEL_NOT_FOUND", EstimateTransferRequest.newBuilder()
          .setData(text).addBaseModels("minilm-l7"));
      assertRefused(stub, Status.Code.INVALID_ARGUMENT, "DOMAIN_MISMATCH", EstimateTransferRequest.newBuilder()
          .setData(text).addBaseModels("minilm-l6").addBaseModels("ts-encoder"));
      assertRefused(stub, Status.Code.INVALID_ARGUMENT, "DUPLICATE_BASE_MODEL", EstimateTransferRequest.newBuilder()
          .setData(text).addBaseModels("minilm-l6").addBaseModels("minilm-l6"));
      assertRefused(stub, Status.Code.INVALID_ARGUMENT, "INVALID_MAX_EXAMPLES", EstimateTransferRequest.newBuilder()
          .setData(text).setMaxExamples(-1));
      assertRefused(stub, Status.Code.INVALID_ARGUMENT, "INVALID_MAX_EXAMPLES", EstimateTransferRequest.newBuilder()
          .setData(text).setMaxExamples(20_001));
      assertRefused(stub, Status.Code.INVALID_ARGUMENT, "TOO_FEW_EXAMPLES", EstimateTransferRequest.newBuilder()
          .setData(inline(tiny.subList(0, 6))));
      assertRefused(stub, Status.Code.INVALID_ARGUMENT, "TOO_FEW_CLASSES", EstimateTransferRequest.newBuilder()
          .setData(inline(tiny.stream().filter(e -> e.getTarget().getLabel().equals("positive")).toList())));
      assertRefused(stub, Status.Code.INVALID_ARGUMENT, "TASK_MISMATCH", EstimateTransferRequest.newBuilder()
          .setData(text).setTask(Task.TASK_REGRESSION));
      List<Example> forecasts = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        forecasts.add(Example.newBuilder().setInput(Inputs.series(1, 2, 3, 4, 5, 6, 7, 8, i))
            .setTarget(Target.newBuilder().setValues(dev.graft.api.v1.FloatVector.newBuilder().addValues(i).addValues(i)))
            .build());
      }
      assertRefused(stub, Status.Code.INVALID_ARGUMENT, "TASK_NOT_SCORED", EstimateTransferRequest.newBuilder()
          .setData(inline(forecasts)));
      // An expired deadline ends the call; nothing was cached for it.
      StatusRuntimeException late = assertThrows(StatusRuntimeException.class, () -> stub
          .withDeadlineAfter(1, java.util.concurrent.TimeUnit.MILLISECONDS)
          .estimateTransfer(EstimateTransferRequest.newBuilder().setData(text).build()));
      assertEquals(Status.Code.DEADLINE_EXCEEDED, late.getStatus().getCode());
      // The server still answers.
      assertEquals(1, stub.estimateTransfer(EstimateTransferRequest.newBuilder().setData(text)
          .addBaseModels("minilm-l6").build()).getEstimatesCount());
    }
  }

  private static void assertRefused(TrainingServiceGrpc.TrainingServiceBlockingStub stub, Status.Code code,
      String reason, EstimateTransferRequest.Builder request) {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> stub.estimateTransfer(request.build()));
    assertEquals(code + " " + reason, e.getStatus().getCode() + " " + MalformedCorpusTest.reason(e),
        e.getStatus().getDescription());
  }
}
