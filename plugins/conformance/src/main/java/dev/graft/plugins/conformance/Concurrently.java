package dev.graft.plugins.conformance;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/** Runs tasks on threads of their own, released at once, to provoke races. */
final class Concurrently {
  private Concurrently() {}

  /**
   * {@code threads} copies of {@code task}, each run {@code rounds} times on its own thread; the
   * results in thread order. The first failure is rethrown.
   */
  static <T> List<T> run(int threads, int rounds, Callable<T> task) throws Exception {
    Callable<List<T>> repeated = () -> {
      List<T> results = new ArrayList<>();
      for (int r = 0; r < rounds; r++) {
        results.add(task.call());
      }
      return results;
    };
    List<T> all = new ArrayList<>();
    for (List<T> results : each(Collections.nCopies(threads, repeated))) {
      all.addAll(results);
    }
    return all;
  }

  /** Each task on its own thread, all started together; the results in task order. */
  static <T> List<T> each(List<Callable<T>> tasks) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(tasks.size());
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<T>> futures = new ArrayList<>();
      for (Callable<T> task : tasks) {
        futures.add(pool.submit(() -> {
          start.await();
          return task.call();
        }));
      }
      start.countDown();
      List<T> results = new ArrayList<>();
      for (Future<T> f : futures) {
        results.add(f.get(10, TimeUnit.MINUTES));
      }
      return results;
    } finally {
      pool.shutdownNow();
    }
  }
}
