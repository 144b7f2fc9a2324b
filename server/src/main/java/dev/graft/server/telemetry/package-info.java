/**
 * What an operator sees of a running server: Prometheus metrics (RPCs, inference, jobs, device
 * pools, the store, JVM and process memory), OpenTelemetry spans (RPCs, inference batches and
 * engine calls, training jobs and their epochs) and JSON log lines that carry the trace.
 *
 * <p>Metric names follow Prometheus conventions ({@code graft_} prefix, base units,
 * {@code _total} for counters, {@code _seconds} for durations). No label takes an unbounded value:
 * model names are capped by {@link dev.graft.server.telemetry.ModelLabels}, job ids appear only on
 * the loss of running jobs (at most the training slots). docs/observability.md lists every metric
 * and span.
 */
package dev.graft.server.telemetry;
