package dev.graft.server.telemetry;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Training jobs as metrics and spans: how long each ran ({@code graft_job_duration_seconds}, by
 * strategy and final state), training steps ({@code graft_training_steps_total}: their rate is the
 * throughput), and the latest loss of each running job ({@code graft_job_loss}, labelled by job
 * id, {@code job_id}: bounded by the training slots, the series goes when the job ends). A job is a span
 * ({@code graft.job}, the child of the Train call that queued it) with a child span per epoch
 * carrying that epoch's metrics. Thread-safe.
 */
public final class JobTelemetry {
  private final boolean metricsEnabled;
  private final Tracing tracing;
  private final Histogram duration;
  private final Counter steps;
  private final Map<String, Run> running = new ConcurrentHashMap<>();

  public JobTelemetry(PrometheusRegistry registry, Tracing tracing, boolean metricsEnabled) {
    this.metricsEnabled = metricsEnabled;
    this.tracing = tracing;
    duration = Histogram.builder().name("graft_job_duration_seconds")
        .help("Training jobs' running time (RUNNING to the end), by strategy and final state")
        .labelNames("strategy", "state").classicOnly()
        .classicUpperBounds(1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600, 86400)
        .register(registry);
    steps = Counter.builder().name("graft_training_steps_total")
        .help("Optimizer steps taken by training jobs, by strategy (the rate is the training throughput)")
        .labelNames("strategy").register(registry);
    GaugeWithCallback.builder().name("graft_job_loss")
        .help("The latest training loss of each running job (label job_id: bounded by the training slots)")
        .labelNames("job_id", "strategy")
        .callback(cb -> running.values().forEach(r -> {
          if (!Double.isNaN(r.loss)) {
            cb.call(r.loss, r.jobId, r.strategy);
          }
        }))
        .register(registry);
  }

  /** A job starts running; {@code parent} is the context of the call that queued it. */
  public Run start(String jobId, String strategy, String baseModel, Context parent) {
    Span span = tracing.tracer().spanBuilder("graft.job").setParent(parent)
        .setAttribute("graft.job.id", jobId)
        .setAttribute("graft.strategy", strategy)
        .setAttribute("graft.base_model", baseModel)
        .startSpan();
    Run run = new Run(jobId, strategy, span);
    running.put(jobId, run);
    return run;
  }

  /** One running job: its span, its epochs, its loss. */
  public final class Run {
    private final String jobId;
    private final String strategy;
    private final Span span;
    private final long startNanos = System.nanoTime();
    private volatile double loss = Double.NaN;
    private Span epoch;
    private int epochNumber;

    private Run(String jobId, String strategy, Span span) {
      this.jobId = jobId;
      this.strategy = strategy;
      this.span = span;
    }

    /** One optimizer step of {@code epoch} ended with {@code loss}. */
    public synchronized void step(int epochNumber, double loss) {
      if (epoch == null || epochNumber != this.epochNumber) {
        startEpoch(epochNumber);
      }
      this.loss = loss;
      if (metricsEnabled) {
        steps.labelValues(strategy).inc();
      }
    }

    /** {@code epochNumber} ended with these metrics (split.name → value). */
    public synchronized void epochEnded(int epochNumber, Map<String, Double> metrics) {
      if (epoch == null || epochNumber != this.epochNumber) {
        startEpoch(epochNumber);
      }
      metrics.forEach((name, value) -> epoch.setAttribute(AttributeKey.doubleKey("graft.metric." + name), value));
      epoch.end();
      epoch = null;
    }

    private void startEpoch(int number) {
      if (epoch != null) {
        epoch.end();
      }
      epochNumber = number;
      epoch = tracing.tracer().spanBuilder("graft.job.epoch").setParent(Context.root().with(span))
          .setAttribute("graft.epoch", number).startSpan();
    }

    /** The job ended in {@code state} (SUCCEEDED, FAILED, CANCELLED), with {@code reason} if it failed. */
    public synchronized void end(String state, String reason) {
      if (running.remove(jobId) == null) {
        return;
      }
      if (epoch != null) {
        epoch.end();
        epoch = null;
      }
      if (metricsEnabled) {
        duration.labelValues(strategy, state).observe((System.nanoTime() - startNanos) / 1e9);
      }
      span.setAttribute("graft.job.state", state);
      if (!reason.isEmpty()) {
        span.setAttribute("graft.job.reason", reason);
      }
      if (state.equals("FAILED")) {
        span.setStatus(StatusCode.ERROR, reason);
      }
      span.end();
    }
  }
}
