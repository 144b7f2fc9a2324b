package dev.graft.plugins.featureextraction;

import dev.graft.spi.MetricValue;
import dev.graft.spi.ProgressListener;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

/** Records what a strategy reports, for assertions from any thread. Thread-safe. */
final class RecordingProgress implements ProgressListener {
  record Epoch(int epoch, int totalEpochs, List<MetricValue> metrics) {}

  /** A phase begun when {@code epochsBefore} epochs had been reported. */
  record Phase(String name, int index, int count, int epochsBefore) {}

  final List<Phase> phases = new CopyOnWriteArrayList<>();

  final List<Epoch> epochs = new CopyOnWriteArrayList<>();
  final List<String> messages = new CopyOnWriteArrayList<>();
  final AtomicLong steps = new AtomicLong();
  final AtomicLong lastStep = new AtomicLong();
  final AtomicLong totalSteps = new AtomicLong();
  final CountDownLatch firstStep = new CountDownLatch(1);

  @Override
  public void onStep(int epoch, int totalEpochs, long step, long totalSteps, double loss) {
    steps.incrementAndGet();
    lastStep.set(step);
    this.totalSteps.set(totalSteps);
    firstStep.countDown();
  }

  @Override
  public void onEpoch(int epoch, int totalEpochs, List<MetricValue> metrics) {
    epochs.add(new Epoch(epoch, totalEpochs, List.copyOf(metrics)));
  }

  @Override
  public void onMessage(String message) {
    messages.add(message);
  }

  @Override
  public void onPhase(String name, int index, int count) {
    phases.add(new Phase(name, index, count, epochs.size()));
  }

  /** The value of metric {@code name} on {@code split} in epoch record {@code e}, or NaN. */
  static double metric(List<MetricValue> metrics, String name, String split) {
    return metrics.stream()
        .filter(m -> m.name().equals(name) && m.split().equals(split))
        .mapToDouble(MetricValue::value)
        .findFirst()
        .orElse(Double.NaN);
  }
}
