package dev.graft.server.core.jobs;

import dev.graft.server.core.store.JobProgress;
import dev.graft.server.telemetry.JobTelemetry;
import dev.graft.spi.MetricValue;
import dev.graft.spi.ProgressListener;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Turns a strategy's progress calls into job updates: step progress with fraction and ETA (in
 * memory, streamed to watchers), per-epoch metrics (persisted); and tells {@link JobTelemetry}
 * (loss, steps, epoch spans).
 */
final class JobProgressReporter implements ProgressListener {
  private final JobHandle handle;
  private final JobTelemetry.Run telemetry;
  private final long startNanos = System.nanoTime();

  JobProgressReporter(JobHandle handle, JobTelemetry.Run telemetry) {
    this.handle = handle;
    this.telemetry = telemetry;
  }

  @Override
  public void onStep(int epoch, int totalEpochs, long step, long totalSteps, double loss) {
    double fraction = totalSteps > 0 ? Math.min(1.0, (double) step / totalSteps) : 0;
    long eta = fraction > 0 ? (long) (elapsed().toMillis() * (1 - fraction) / fraction) : 0;
    telemetry.step(epoch, loss);
    handle.update(r -> r.withProgress(r.progress().at(epoch, totalEpochs, step, totalSteps, fraction, eta)),
        String.format(Locale.ROOT, "epoch %d/%d step %d/%d loss %.4f", epoch, totalEpochs, step, totalSteps, loss),
        false);
  }

  @Override
  public void onEpoch(int epoch, int totalEpochs, List<MetricValue> metrics) {
    Map<String, Double> values = new LinkedHashMap<>();
    metrics.forEach(m -> values.put(m.split() + "." + m.name(), m.value()));
    telemetry.epochEnded(epoch, values);
    StringBuilder line = new StringBuilder("epoch " + epoch + "/" + totalEpochs + " done:");
    metrics.forEach(m -> line.append(String.format(Locale.ROOT, " %s.%s=%.4f", m.split(), m.name(), m.value())));
    handle.update(r -> {
      List<MetricValue> all = new ArrayList<>(r.metrics());
      all.addAll(metrics);
      JobProgress p = r.progress();
      return r.withMetrics(all)
          .withProgress(p.at(epoch, totalEpochs, p.step(), p.totalSteps(), p.fraction(), p.etaMillis()));
    }, line.toString(), true);
  }

  @Override
  public void onPhase(String name, int index, int count) {
    handle.update(r -> r.withPhase(name, index, count).withProgress(r.progress().inPhase(name, index, count)),
        "phase " + index + "/" + count + ": " + name, true);
  }

  @Override
  public void onMessage(String message) {
    handle.update(r -> r, message, false);
  }

  private Duration elapsed() {
    return Duration.ofNanos(System.nanoTime() - startNanos);
  }
}
