package dev.graft.server.telemetry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.graft.api.v1.DataSource;
import dev.graft.api.v1.ExtractRequest;
import dev.graft.api.v1.Hyperparameters;
import dev.graft.api.v1.InlineExamples;
import dev.graft.api.v1.Job;
import dev.graft.api.v1.JobState;
import dev.graft.api.v1.TrainRequest;
import dev.graft.api.v1.TrainingServiceGrpc;
import dev.graft.client.Inputs;
import dev.graft.server.TestData;
import dev.graft.server.TestServer;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.Span;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A server with {@code tracing=otlp} exports to a real OTLP/gRPC endpoint started here. Clients
 * send a W3C {@code traceparent} (the Java SDK from the caller's current span, a raw stub by
 * hand); the spans that come out continue those traces and nest as documented: RPC → batch →
 * slot wait and engine call; Train RPC → job → epochs.
 */
class TracingEndToEndTest {
  private static final String CLIENT_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
  private static final String CLIENT_SPAN = "00f067aa0ba902b7";
  private static final String TRAIN_TRACE = "0af7651916cd43dd8448eb211c80319c";
  private static final String TRAIN_SPAN = "b7ad6b7169203331";

  @TempDir
  Path dir;

  @Test
  void spansContinueTheClientsTraceAndNest() throws Exception {
    Map<String, String> properties = Map.of("otel.exporter.otlp.protocol", "grpc", "otel.bsp.schedule.delay", "100");
    List<Span> spans;
    try (OtlpCollector collector = new OtlpCollector()) {
      System.setProperty("otel.exporter.otlp.endpoint", collector.endpoint());
      properties.forEach(System::setProperty);
      try (TestServer server = TestServer.onPort(dir.resolve("store"), "tracing", "otlp")) {
        ManagedChannel channel = ManagedChannelBuilder.forAddress("localhost", server.port()).usePlaintext().build();
        try {
          // The Java SDK sends the caller's current span as traceparent; the Train call below sets
          // the header by hand, as any gRPC client can.
          io.opentelemetry.context.Scope scope = io.opentelemetry.api.trace.Span.wrap(
              io.opentelemetry.api.trace.SpanContext.create(CLIENT_TRACE, CLIENT_SPAN,
                  io.opentelemetry.api.trace.TraceFlags.getSampled(), io.opentelemetry.api.trace.TraceState.getDefault()))
              .makeCurrent();
          try {
            server.client().extract(ExtractRequest.newBuilder().setModel("minilm-l6")
                .addInputs(Inputs.text("a traced call")).build());
          } finally {
            scope.close();
          }
          Job job = TrainingServiceGrpc.newBlockingStub(channel).withInterceptors(traceparent(TRAIN_TRACE, TRAIN_SPAN))
              .train(TrainRequest.newBuilder().setBaseModel("minilm-l6").setStrategy("feature-extraction")
                  .setOutputModel("traced").setValidationSplit(0.25f)
                  .setHyperparameters(Hyperparameters.newBuilder().setEpochs(2).setEarlyStoppingPatience(5))
                  .setTrain(DataSource.newBuilder().setExamples(
                      InlineExamples.newBuilder().addAllExamples(TestData.tinySentiment())))
                  .build());
          Job done = server.client().awaitJob(job.getId(), Duration.ofMinutes(3), e -> {});
          assertEquals(JobState.JOB_STATE_SUCCEEDED, done.getState(), done.getError().getMessage());
        } finally {
          channel.shutdownNow();
        }
      } // shutdown flushes the exporter
      spans = collector.spans();
      assertEquals("graft", collector.resources().get(0).getResource().getAttributesList().stream()
          .filter(a -> a.getKey().equals("service.name")).findFirst().orElseThrow().getValue().getStringValue());
    } finally {
      System.clearProperty("otel.exporter.otlp.endpoint");
      properties.keySet().forEach(System::clearProperty);
    }

    Span extract = only(spans, "graft.v1.InferenceService/Extract", CLIENT_TRACE);
    assertEquals(CLIENT_SPAN, hex(extract.getParentSpanId()), "the client's span is the parent");
    assertEquals(Span.SpanKind.SPAN_KIND_SERVER, extract.getKind());
    assertEquals(0L, attribute(extract, "rpc.grpc.status_code").getIntValue());

    Span batch = childOf(spans, extract, "graft.inference.batch");
    assertTrue(batch.getLinksList().stream().anyMatch(l -> l.getSpanId().equals(extract.getSpanId())),
        "the batch links every request merged into it");
    childOf(spans, batch, "graft.inference.slot_wait");
    Span engine = childOf(spans, batch, "graft.engine");
    assertEquals("minilm-l6@1", attribute(engine, "graft.model").getStringValue());

    Span train = only(spans, "graft.v1.TrainingService/Train", TRAIN_TRACE);
    assertEquals(TRAIN_SPAN, hex(train.getParentSpanId()));
    Span job = childOf(spans, train, "graft.job");
    assertEquals("SUCCEEDED", attribute(job, "graft.job.state").getStringValue());
    List<Span> epochs = spans.stream().filter(s -> s.getName().equals("graft.job.epoch")
        && s.getParentSpanId().equals(job.getSpanId())).toList();
    // Feature extraction trains more than one candidate head: 2 epochs each, numbered on.
    assertTrue(epochs.size() >= 2, epochs.size() + " epoch spans");
    for (Span epoch : epochs) {
      assertTrue(epoch.getAttributesList().stream().anyMatch(a -> a.getKey().startsWith("graft.metric.")),
          "an epoch span carries the epoch's metrics");
    }
  }

  private static io.grpc.ClientInterceptor traceparent(String trace, String span) {
    Metadata headers = new Metadata();
    headers.put(Metadata.Key.of("traceparent", Metadata.ASCII_STRING_MARSHALLER), "00-" + trace + "-" + span + "-01");
    return MetadataUtils.newAttachHeadersInterceptor(headers);
  }

  private static Span only(List<Span> spans, String name, String trace) {
    List<Span> found = spans.stream().filter(s -> s.getName().equals(name) && hex(s.getTraceId()).equals(trace))
        .toList();
    assertEquals(1, found.size(), name + " in trace " + trace + " among " + names(spans));
    return found.get(0);
  }

  private static Span childOf(List<Span> spans, Span parent, String name) {
    return spans.stream().filter(s -> s.getName().equals(name) && s.getParentSpanId().equals(parent.getSpanId())
            && s.getTraceId().equals(parent.getTraceId()))
        .findFirst().orElseThrow(() -> new AssertionError("no " + name + " under " + parent.getName() + " among "
            + names(spans)));
  }

  private static io.opentelemetry.proto.common.v1.AnyValue attribute(Span span, String key) {
    return span.getAttributesList().stream().filter(a -> a.getKey().equals(key)).map(KeyValue::getValue)
        .findFirst().orElseThrow(() -> new AssertionError(span.getName() + " has no attribute " + key));
  }

  private static List<String> names(List<Span> spans) {
    return spans.stream().map(Span::getName).distinct().toList();
  }

  private static String hex(ByteString bytes) {
    return HexFormat.of().formatHex(bytes.toByteArray());
  }
}
