package dev.graft.client.conformance;

import dev.graft.api.v1.ClassScore;
import dev.graft.api.v1.Dataset;
import dev.graft.api.v1.DatasetFormat;
import dev.graft.api.v1.ExtractRequest;
import dev.graft.api.v1.Job;
import dev.graft.api.v1.JobEvent;
import dev.graft.api.v1.JobState;
import dev.graft.api.v1.Prediction;
import dev.graft.client.GraftClient;
import dev.graft.client.GraftClientBuilder;
import dev.graft.client.GraftException;
import dev.graft.client.Inputs;
import dev.graft.client.TrainOptions;
import io.grpc.Status;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The client conformance scenario (clients/conformance/SCENARIO.md) in Java, through
 * {@link GraftClient}, against $GRAFT_TARGET (over TLS with $GRAFT_TLS_CA, $GRAFT_TLS_CERT,
 * $GRAFT_TLS_KEY and the bearer token $GRAFT_TOKEN when they are set). Prints one line per step and "N passed, M failed"; exits 1 on a failure.
 */
public final class Conformance {
  private static final String SUFFIX = "java";
  private static final List<String> TEXTS = List.of("what a wonderful, lovely day", "this is terrible and awful");

  private final GraftClient client;
  private final Path dataset;
  private Dataset uploaded;
  private Job job;
  private int passed;
  private int failed;

  private Conformance(GraftClient client, Path dataset) {
    this.client = client;
    this.dataset = dataset;
  }

  public static void main(String[] args) {
    String target = System.getenv().getOrDefault("GRAFT_TARGET", "localhost:50051");
    Path data = Path.of(args.length > 0 ? args[0] : "clients/conformance/dataset.jsonl");
    try (GraftClient client = secured(GraftClient.builder(target)).deadline(Duration.ofMinutes(2)).build()) {
      Conformance c = new Conformance(client, data);
      c.runAll();
      System.out.println(c.passed + " passed, " + c.failed + " failed");
      if (c.failed > 0) {
        System.exit(1);
      }
    }
  }

  /**
   * TLS trusting the CA file $GRAFT_TLS_CA, the client certificate $GRAFT_TLS_CERT with its key
   * $GRAFT_TLS_KEY, the bearer token $GRAFT_TOKEN: each only when set.
   */
  private static GraftClientBuilder secured(GraftClientBuilder builder) {
    Map<String, String> env = System.getenv();
    try {
      if (!env.getOrDefault("GRAFT_TLS_CA", "").isEmpty()) {
        builder.tls(Path.of(env.get("GRAFT_TLS_CA")));
      }
      if (!env.getOrDefault("GRAFT_TLS_CERT", "").isEmpty() || !env.getOrDefault("GRAFT_TLS_KEY", "").isEmpty()) {
        builder.clientCertificate(Path.of(env.getOrDefault("GRAFT_TLS_CERT", "")),
            Path.of(env.getOrDefault("GRAFT_TLS_KEY", "")));
      }
    } catch (IOException | IllegalArgumentException e) {
      System.out.println("FAIL setup: " + e);
      System.out.println("0 passed, 1 failed");
      System.exit(1);
    }
    if (!env.getOrDefault("GRAFT_TOKEN", "").isEmpty()) {
      builder.bearerToken(env.get("GRAFT_TOKEN"));
    }
    return builder;
  }

  private interface Step {
    void run() throws Exception;
  }

  private void step(String name, Step body) {
    try {
      body.run();
      passed++;
      System.out.println("ok " + name);
    } catch (Exception | AssertionError e) {
      failed++;
      System.out.println("FAIL " + name + ": " + e);
    }
  }

  private void runAll() {
    step("upload", this::upload);
    step("train", this::train);
    step("watch", this::watch);
    step("predict", this::predict);
    step("extract", this::extract);
    step("not-found", () -> expectError(Status.Code.NOT_FOUND, "MODEL_NOT_FOUND",
        () -> client.getModel("no-such-model-" + SUFFIX)));
    step("invalid-argument", () -> expectError(Status.Code.INVALID_ARGUMENT, "EMPTY_INPUTS",
        () -> client.extract(ExtractRequest.newBuilder().setModel("minilm-l6").build())));
    step("cancel", this::cancel);
  }

  private void upload() {
    uploaded = client.uploadDataset("conformance-" + SUFFIX, "nlp", DatasetFormat.DATASET_FORMAT_JSONL, dataset);
    check(uploaded.getExamples() == 16, "16 examples, got " + uploaded.getExamples());
    check(uploaded.getLabelsList().equals(List.of("negative", "positive")), "labels " + uploaded.getLabelsList());
    check(uploaded.getLabelCountsMap().equals(Map.of("negative", 8L, "positive", 8L)),
        "label counts " + uploaded.getLabelCountsMap());
    check(uploaded.getSha256().matches("[0-9a-f]{64}"), "sha256 " + uploaded.getSha256());
  }

  private TrainOptions.Builder trainOptions(String output) {
    return TrainOptions.builder("minilm-l6", TrainOptions.Strategy.FEATURE_EXTRACTION, output).dataset(uploaded.getId())
        .validationSplit(0.25);
  }

  private void train() {
    job = client.train(trainOptions("conformance-" + SUFFIX).epochs(30).seed(7).build());
    check(!job.getId().isEmpty(), "job id");
    check(job.getState() == JobState.JOB_STATE_QUEUED || job.getState() == JobState.JOB_STATE_RUNNING,
        "state " + job.getState());
  }

  /** Through watchJobAsync: the listener collects the events, the future gives the final job. */
  private void watch() throws Exception {
    List<JobEvent> events = java.util.Collections.synchronizedList(new ArrayList<>());
    Job end = client.watchJobAsync(job.getId(), events::add).get(10, TimeUnit.MINUTES);
    check(end.getState() == events.get(events.size() - 1).getJob().getState(), "the future's job is the last event's");
    check(!events.isEmpty() && events.get(0).getJob().getId().equals(job.getId()), "first event is for the job");
    check(events.stream().anyMatch(e -> e.getJob().getProgress().getStep() > 0), "step progress");
    Job last = events.get(events.size() - 1).getJob();
    check(last.getState() == JobState.JOB_STATE_SUCCEEDED, "ended " + last.getState() + " " + last.getError());
    check(last.getMetricsList().stream().anyMatch(m -> m.getName().equals("accuracy") && m.getSplit().equals("validation")),
        "validation accuracy among metrics");
  }

  private void predict() {
    var response = client.predict("conformance-" + SUFFIX, Inputs.texts(TEXTS), 2);
    List<Prediction> p = response.getPredictionsList();
    check(p.size() == 2, "2 predictions");
    for (Prediction one : p) {
      List<ClassScore> c = one.getClassesList();
      check(c.size() == 2 && c.get(0).getScore() >= c.get(1).getScore(), "2 classes sorted by score");
      check(Math.abs(c.get(0).getScore() + c.get(1).getScore() - 1) < 1e-4, "scores sum to 1");
    }
    check(p.get(0).getClasses(0).getLabel().equals("positive"), "first is positive");
    check(p.get(1).getClasses(0).getLabel().equals("negative"), "second is negative");
    check(response.getModel().startsWith("conformance-" + SUFFIX + "@"), "model " + response.getModel());
  }

  private void extract() {
    List<float[]> v = client.extractVectors(ExtractRequest.newBuilder().setModel("minilm-l6")
        .addAllInputs(Inputs.texts(TEXTS)).setNormalize(true).build());
    check(v.size() == 2, "2 vectors");
    for (float[] x : v) {
      double n = 0;
      for (float f : x) {
        n += f * f;
      }
      check(x.length == 384 && Math.abs(Math.sqrt(n) - 1) < 1e-3, "384 values of norm 1");
    }
  }

  private void cancel() {
    Job slow = client.train(trainOptions("conformance-" + SUFFIX + "-cancel")
        .epochs(100_000).earlyStoppingPatience(100_000).batchSize(1).build());
    Iterator<JobEvent> events = client.watch(slow.getId());
    while (events.hasNext()) {
      Job j = events.next().getJob();
      if (j.getState() == JobState.JOB_STATE_RUNNING || j.getProgress().getStep() > 0) {
        break;
      }
    }
    long start = System.nanoTime();
    client.cancelJob(slow.getId());
    Job end = client.awaitJob(slow.getId(), Duration.ofSeconds(10), e -> {});
    check(end.getState() == JobState.JOB_STATE_CANCELLED, "ended " + end.getState());
    check(System.nanoTime() - start < 10_000_000_000L, "within 10 s");
  }

  private static void expectError(Status.Code code, String reason, Runnable call) {
    try {
      call.run();
    } catch (GraftException e) {
      check(e.code() == code, "code " + e.code());
      check(e.reason().equals(reason), "reason " + e.reason());
      return;
    }
    throw new AssertionError("expected " + code + " " + reason + ", but the call succeeded");
  }

  private static void check(boolean ok, String what) {
    if (!ok) {
      throw new AssertionError(what);
    }
  }
}
