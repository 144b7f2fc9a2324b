package dev.graft.client.examples;

import dev.graft.api.v1.DataSource;
import dev.graft.api.v1.Dataset;
import dev.graft.api.v1.DatasetFormat;
import dev.graft.api.v1.DatasetSpec;
import dev.graft.api.v1.Job;
import dev.graft.api.v1.JobEvent;
import dev.graft.api.v1.JobState;
import dev.graft.api.v1.Prediction;
import dev.graft.api.v1.TrainRequest;
import dev.graft.client.GraftClient;
import dev.graft.client.GraftException;
import dev.graft.client.Inputs;
import io.grpc.Status;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * The quickstart: upload the yelp + amazon sentiment sentences, train a classifier on MiniLM
 * embeddings (feature extraction), watch it train, and predict a few sentences.
 *
 * <pre>java ... dev.graft.client.examples.Quickstart localhost:50051 assets/sentiment</pre>
 */
public final class Quickstart {
  private Quickstart() {}

  /** What the quickstart did, for callers that check it. */
  public record Result(Dataset dataset, Job job, List<Prediction> predictions) {}

  public static final List<String> SENTENCES = List.of(
      "The food was delicious and the staff were lovely.",
      "Battery died after two days. Total waste of money.",
      "Not bad at all, I would buy it again.");

  public static Result run(GraftClient client, Path sentimentDir) {
    Dataset dataset = client.uploadDataset(
        DatasetSpec.newBuilder().setName("sentiment").setDomain("nlp").setFormat(DatasetFormat.DATASET_FORMAT_JSONL)
            .build(),
        List.of(new GraftClient.Part("", sentimentDir.resolve("yelp.jsonl")),
            new GraftClient.Part("", sentimentDir.resolve("amazon.jsonl"))));
    System.out.printf("uploaded dataset %s: %d sentences, labels %s%n", dataset.getId(), dataset.getExamples(),
        dataset.getLabelCountsMap());

    Job job = client.train(TrainRequest.newBuilder()
        .setBaseModel("minilm-l6")
        .setStrategy("feature-extraction")
        .setOutputModel("sentiment")
        .setTrain(DataSource.newBuilder().setDataset(dataset.getId()))
        .setValidationSplit(0.2f)
        .build());
    System.out.printf("job %s %s%n", job.getId(), job.getState());
    Job done = client.awaitJob(job.getId(), Duration.ofMinutes(30), Quickstart::print);
    if (done.getState() != JobState.JOB_STATE_SUCCEEDED) {
      throw new IllegalStateException("training ended " + done.getState() + ": " + done.getError().getMessage());
    }
    System.out.printf("trained %s%n", done.getResultModel());

    List<Prediction> predictions = client.predict("sentiment", Inputs.texts(SENTENCES), 1).getPredictionsList();
    for (int i = 0; i < SENTENCES.size(); i++) {
      var top = predictions.get(i).getClasses(0);
      System.out.printf(Locale.ROOT, "%-55s -> %s (%.3f)%n", SENTENCES.get(i), top.getLabel(), top.getScore());
    }
    return new Result(dataset, done, predictions);
  }

  private static void print(JobEvent event) {
    var p = event.getJob().getProgress();
    if (event.getMessage().startsWith("epoch") && event.getMessage().contains("done")) {
      System.out.println("  " + event.getMessage());
    } else if (p.getStep() == 0) {
      System.out.println("  " + event.getMessage());
    }
  }

  public static void main(String[] args) throws InterruptedException {
    String target = args.length > 0 ? args[0] : "localhost:50051";
    Path data = Path.of(args.length > 1 ? args[1] : "assets/sentiment");
    try (GraftClient client = GraftClient.builder(target).deadline(Duration.ofMinutes(5)).build()) {
      waitUntilUp(client, Duration.ofMinutes(3));
      run(client, data);
    }
  }

  private static void waitUntilUp(GraftClient client, Duration limit) throws InterruptedException {
    long end = System.nanoTime() + limit.toNanos();
    while (true) {
      try {
        System.out.println("connected to Graft " + client.serverInfo().getVersion());
        return;
      } catch (GraftException e) {
        if (e.code() != Status.Code.UNAVAILABLE || System.nanoTime() > end) {
          throw e;
        }
        Thread.sleep(500);
      }
    }
  }
}
