package dev.graft.client.examples;

import dev.graft.api.v1.*;
import dev.graft.client.*;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The Java examples of README.md and clients/java/README.md, verbatim, so that the build compiles
 * them: {@code scripts/doc-examples} checks that each README block is in this file, in order.
 * Edit them here and in the README together.
 */
final class ReadmeExamples {
  private ReadmeExamples() {}

  /** README.md, "Call it". */
  static PredictResponse root() {
    try (GraftClient graft = GraftClient.builder("localhost:50051").build()) {
      Dataset data = graft.uploadDataset("reviews", "nlp", DatasetFormat.DATASET_FORMAT_JSONL, Path.of("reviews.jsonl"));
      Job job = graft.train(TrainRequest.newBuilder()
          .setBaseModel("minilm-l6").setStrategy("feature-extraction").setOutputModel("reviews")
          .setTrain(DataSource.newBuilder().setDataset(data.getId())).build());
      graft.awaitJob(job.getId(), Duration.ofMinutes(10), event -> System.out.println(event.getMessage()));
      PredictResponse p = graft.predict("reviews", Inputs.texts(List.of("Lovely staff!")), 1);
      return p;
    }
  }

  /** clients/java/README.md, "Quickstart". */
  static void quickstart() {
    try (GraftClient graft = GraftClient.builder("localhost:50051")
            .deadline(Duration.ofSeconds(30))   // per unary call; default 60 s
            .build()) {
      Dataset data = graft.uploadDataset("reviews", "nlp", DatasetFormat.DATASET_FORMAT_JSONL, Path.of("reviews.jsonl"));
      // or in memory: graft.uploadExamples("reviews", "nlp", List.of(Inputs.labelled("I loved it", "positive"), ...));

      Job job = graft.train(TrainOptions.builder("minilm-l6", TrainOptions.Strategy.FEATURE_EXTRACTION, "reviews")
          .dataset(data.getId())          // or .examples(List.of(Inputs.labelled("great", "positive"), ...))
          .validationSplit(0.25)
          .epochs(30).learningRate(1e-3).seed(7)
          .build());                      // checks required fields and ranges (IllegalState/IllegalArgumentException)

      graft.watch(job.getId()).forEachRemaining(e -> System.out.println(e.getMessage()));   // blocking, or:
      Job done = graft.awaitJob(job.getId(), Duration.ofMinutes(10), e -> {});
      // or without blocking: events on a gRPC thread, a future of the final job
      CompletableFuture<Job> end = graft.watchJobAsync(job.getId(), e -> System.out.println(e.getMessage()));
      end.orTimeout(10, TimeUnit.MINUTES).thenAccept(j -> System.out.println(j.getState()));

      PredictResponse p = graft.predict("reviews", Inputs.texts(List.of("Lovely staff!")), 1);

      // Bring your own base model: the spec, then its files (part "" is the main file).
      Model mine = graft.importModel(ModelSpec.newBuilder().setName("my-cnn").setDomain("vision")
          .setFormat("torchscript").putProperties("input_size", "96").build(),
          List.of(new GraftClient.Part("", Path.of("my_cnn.pt"))));
      List<float[]> vectors = graft.extractVectors(ExtractRequest.newBuilder().setModel("minilm-l6")
          .addInputs(Inputs.text("hello")).setNormalize(true).build());
      System.out.println(done.getState() + " " + p.getModel() + " " + mine.getName() + " " + vectors.size());
    } catch (GraftException e) {
      System.err.println(e.code() + " " + e.reason() + " " + e.fields());   // e.g. NOT_FOUND MODEL_NOT_FOUND []
    }
  }

  /** clients/java/README.md, TLS. */
  static GraftClient secured() throws java.io.IOException {
    GraftClient graft = GraftClient.builder("graft.example.com:443")
        .tls(Path.of("ca.pem"))
        .clientCertificate(Path.of("client.pem"), Path.of("client.key"))
        .bearerToken(System.getenv("GRAFT_TOKEN"))   // optional with mTLS: a token wins over the certificate
        .build();
    return graft;
  }

  /** clients/java/README.md, tracing (the scope is only held, hence "try"). */
  @SuppressWarnings("try")
  static void traced(GraftClient graft, Tracer tracer) {
    Span span = tracer.spanBuilder("classify").startSpan();
    try (Scope s = span.makeCurrent()) {
      graft.predict("reviews", Inputs.texts(List.of("Lovely staff!")), 1);   // traceparent: 00-<trace>-<span>-01
    } finally {
      span.end();
    }
  }
}
