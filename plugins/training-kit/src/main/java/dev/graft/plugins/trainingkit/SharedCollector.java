package dev.graft.plugins.trainingkit;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.training.GradientCollector;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A gradient collector that several training threads may open at once: each waits for the
 * others' forward and backward passes instead of failing. DJL's PyTorch engine allows one open
 * {@link GradientCollector} per process (a static flag; a second one throws
 * {@code IllegalStateException: A PtGradientCollector is already collecting}), so two jobs
 * training at the same time — two training slots, two devices, a feature-extraction job beside a
 * fine-tuning one — failed the second one at its first step. The lock is fair, so concurrent jobs
 * take turns step by step. Only code that opens its collectors here is protected.
 *
 * <p>Use in try-with-resources on one thread, opening it around a step's forward and backward
 * passes only (no waiting on other threads inside). Thread-safe.
 */
public final class SharedCollector implements AutoCloseable {
  private static final ReentrantLock LOCK = new ReentrantLock(true);

  private final GradientCollector collector;

  private SharedCollector(GradientCollector collector) {
    this.collector = collector;
  }

  /** Waits until no other thread collects, then opens {@code engine}'s collector. */
  public static SharedCollector open(Engine engine) {
    LOCK.lock();
    try {
      return new SharedCollector(engine.newGradientCollector());
    } catch (RuntimeException | Error e) {
      LOCK.unlock();
      throw e;
    }
  }

  /** Computes the gradients of {@code target} (see {@link GradientCollector#backward}). */
  public void backward(NDArray target) {
    collector.backward(target);
  }

  /** Closes the collector and lets the next thread collect. */
  @Override
  public void close() {
    try {
      collector.close();
    } finally {
      LOCK.unlock();
    }
  }
}
