package dev.graft.server.telemetry;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * Inference as the engine sees it: inputs and latency per model and call kind ({@code extract},
 * {@code predict}), the size of each merged engine call ({@code graft_inference_batch_size}) and
 * the time spent waiting for an inference slot. Model label values are bounded by
 * {@link ModelLabels}. Thread-safe.
 */
public final class InferenceMetrics {
  private final boolean enabled;
  private final ModelLabels models;
  private final Counter inputs;
  private final Histogram duration;
  private final Histogram batchSize;
  private final Histogram slotWait;

  public InferenceMetrics(PrometheusRegistry registry, ModelLabels models, boolean enabled) {
    this.enabled = enabled;
    this.models = models;
    inputs = Counter.builder().name("graft_inference_inputs_total")
        .help("Inputs answered by Extract and Predict, by model and kind")
        .labelNames("model", "kind").register(registry);
    duration = Histogram.builder().name("graft_inference_duration_seconds")
        .help("Extract and Predict latency inside the server (validation, slot wait, batching, engine), by model and kind")
        .labelNames("model", "kind").classicOnly()
        .classicUpperBounds(.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30)
        .register(registry);
    batchSize = Histogram.builder().name("graft_inference_batch_size")
        .help("Inputs per engine call after the dynamic batcher merged concurrent requests")
        .classicOnly().classicUpperBounds(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096)
        .register(registry);
    slotWait = Histogram.builder().name("graft_inference_slot_wait_seconds")
        .help("Time an engine call waited for a free inference slot, by pool")
        .labelNames("pool").classicOnly()
        .classicUpperBounds(.0001, .001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30)
        .register(registry);
  }

  /** One Extract or Predict request of {@code count} inputs that took {@code nanos}. */
  public void request(String kind, String model, int count, long nanos) {
    if (enabled) {
      String label = models.of(model);
      inputs.labelValues(label, kind).inc(count);
      duration.labelValues(label, kind).observe(nanos / 1e9);
    }
  }

  /** One engine call over {@code count} merged inputs. */
  public void batch(int count) {
    if (enabled) {
      batchSize.observe(count);
    }
  }

  /** An inference slot was granted after {@code nanos}. */
  public void slotWait(String pool, long nanos) {
    if (enabled) {
      slotWait.labelValues(pool).observe(nanos / 1e9);
    }
  }
}
