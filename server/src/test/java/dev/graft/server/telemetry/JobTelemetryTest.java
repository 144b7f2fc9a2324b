package dev.graft.server.telemetry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The loss of running jobs, their steps and their epoch spans, with an in-memory span exporter. */
class JobTelemetryTest {
  @Test
  void aRunningJobShowsItsLossUntilItEndsAndEachEpochIsASpan() {
    PrometheusRegistry registry = new PrometheusRegistry();
    InMemorySpanExporter spans = InMemorySpanExporter.create();
    try (Tracing tracing = Tracing.with(io.opentelemetry.sdk.OpenTelemetrySdk.builder().setTracerProvider(
        io.opentelemetry.sdk.trace.SdkTracerProvider.builder()
            .addSpanProcessor(io.opentelemetry.sdk.trace.export.SimpleSpanProcessor.create(spans)).build())
        .build())) {
      JobTelemetry telemetry = new JobTelemetry(registry, tracing, true);
      JobTelemetry.Run run = telemetry.start("job-1", "fine-tuning", "minilm-l6@1", Context.root());
      run.step(1, 0.9);
      run.step(1, 0.7);
      assertEquals(List.of(0.7), losses(registry));
      run.epochEnded(1, Map.of("validation.loss", 0.65));
      run.step(2, 0.5);
      run.epochEnded(2, Map.of("validation.loss", 0.55));
      run.end("SUCCEEDED", "");
      assertEquals(List.of(), losses(registry), "the series goes with the job");

      List<SpanData> done = spans.getFinishedSpanItems();
      SpanData job = done.stream().filter(s -> s.getName().equals("graft.job")).findFirst().orElseThrow();
      assertEquals("SUCCEEDED", job.getAttributes().get(AttributeKey.stringKey("graft.job.state")));
      List<SpanData> epochs = done.stream().filter(s -> s.getName().equals("graft.job.epoch")).toList();
      assertEquals(2, epochs.size());
      for (SpanData e : epochs) {
        assertEquals(job.getSpanId(), e.getParentSpanId());
      }
      assertEquals(0.55, epochs.get(1).getAttributes().get(AttributeKey.doubleKey("graft.metric.validation.loss")));
      assertTrue(registry.scrape().stream().anyMatch(m -> m.getMetadata().getName().equals("graft_training_steps")));
    }
  }

  private static List<Double> losses(PrometheusRegistry registry) {
    for (MetricSnapshot m : registry.scrape()) {
      if (m.getMetadata().getName().equals("graft_job_loss")) {
        return ((GaugeSnapshot) m).getDataPoints().stream().map(GaugeSnapshot.GaugeDataPointSnapshot::getValue).toList();
      }
    }
    return List.of();
  }
}
