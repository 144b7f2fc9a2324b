package dev.graft.server.app;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Watches the shared store from a replica: every {@code interval} it asks what keeps the store
 * from being used; when a problem lasts longer than {@code grace} it reports the replica
 * unhealthy (the server goes NOT_SERVING, so a load balancer sends calls elsewhere), and healthy
 * again once the store answers. Calls meanwhile fail UNAVAILABLE with the store's reason; a short
 * blip (shorter than {@code grace}) changes nothing. Thread-safe; one daemon thread.
 */
final class StoreHealth implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(StoreHealth.class.getName());

  private final Supplier<Optional<String>> problem;
  private final Duration grace;
  private final ScheduledExecutorService timer;
  private long failingSinceNanos = -1;
  private boolean healthy = true;

  /**
   * @param problem what keeps the store from being used now, or empty
   * @param onChange told {@code true} when the store is usable again, {@code false} when a problem
   *     outlasted the grace
   */
  StoreHealth(Supplier<Optional<String>> problem, Duration grace, Duration interval, Consumer<Boolean> onChange) {
    this.problem = problem;
    this.grace = grace;
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "graft-store-health");
      t.setDaemon(true);
      return t;
    });
    timer.scheduleWithFixedDelay(() -> check(onChange), interval.toMillis(), interval.toMillis(),
        TimeUnit.MILLISECONDS);
  }

  private synchronized void check(Consumer<Boolean> onChange) {
    Optional<String> now;
    try {
      now = problem.get();
    } catch (RuntimeException e) {
      now = Optional.of(String.valueOf(e));
    }
    if (now.isEmpty()) {
      failingSinceNanos = -1;
      if (!healthy) {
        healthy = true;
        LOG.log(System.Logger.Level.INFO, "the store answers again: serving");
        onChange.accept(true);
      }
      return;
    }
    if (failingSinceNanos < 0) {
      failingSinceNanos = System.nanoTime();
      LOG.log(System.Logger.Level.WARNING, "store problem: " + now.get() + " (NOT_SERVING if it lasts " + grace + ")");
    }
    if (healthy && System.nanoTime() - failingSinceNanos >= grace.toNanos()) {
      healthy = false;
      LOG.log(System.Logger.Level.ERROR, "store unusable for " + grace + ": " + now.get() + "; health NOT_SERVING");
      onChange.accept(false);
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
