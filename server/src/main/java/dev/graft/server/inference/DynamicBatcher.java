package dev.graft.server.inference;

import dev.graft.server.telemetry.Spans;
import dev.graft.spi.ModelInput;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Merges concurrent requests for the same model into one engine call. Requests for one key queue
 * up; at most {@code parallelism} drains per key take up to {@code maxBatch} inputs at a time and
 * run them as one call. There is no artificial delay: a request that finds a drain free runs at
 * once, and requests batch only while the engine is busy — so a lone caller pays nothing and a
 * crowd gets the engine's batch throughput.
 *
 * <p>If a merged call fails, each request in it is retried alone, so an error (say, about
 * {@code inputs[3]}) always reaches the request it belongs to.
 *
 * <p>Each engine call is a span, {@code graft.inference.batch}: the child of the first request
 * in it, linked to every request merged into it, current while the engine runs. Thread-safe.
 */
final class DynamicBatcher {
  private final int maxBatch;
  private final int parallelism;
  private final ExecutorService executor;
  private final Tracer tracer;
  private final Map<String, Lane> lanes = new ConcurrentHashMap<>();

  DynamicBatcher(int maxBatch, int parallelism, ExecutorService executor, Tracer tracer) {
    this.maxBatch = maxBatch;
    this.parallelism = parallelism;
    this.executor = executor;
    this.tracer = tracer;
  }

  /**
   * Runs {@code inputs} through {@code engine}, possibly together with other requests of the same
   * {@code key}; returns this request's outputs, in order. {@code engine} must be the same
   * function for every request of a key.
   */
  float[][] run(String key, List<ModelInput> inputs, Function<List<ModelInput>, float[][]> engine) {
    Pending pending = new Pending(inputs);
    lanes.computeIfAbsent(key, k -> new Lane(engine)).submit(pending);
    try {
      return pending.result.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for the engine", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw new IllegalStateException(e.getCause());
    }
  }

  /** A request waiting for the engine, with the trace context of the call that made it. */
  private record Pending(List<ModelInput> inputs, CompletableFuture<float[][]> result, Context context) {
    Pending(List<ModelInput> inputs) {
      this(inputs, new CompletableFuture<>(), Context.current());
    }
  }

  /** The queue and drains of one key. */
  private final class Lane {
    private final Function<List<ModelInput>, float[][]> engine;
    private final Deque<Pending> queue = new ArrayDeque<>();
    private int draining;

    Lane(Function<List<ModelInput>, float[][]> engine) {
      this.engine = engine;
    }

    void submit(Pending p) {
      synchronized (this) {
        queue.add(p);
        if (draining >= parallelism) {
          return;
        }
        draining++;
      }
      executor.execute(this::drain);
    }

    private void drain() {
      while (true) {
        List<Pending> batch = new ArrayList<>();
        synchronized (this) {
          int size = 0;
          while (!queue.isEmpty() && (batch.isEmpty() || size + queue.peek().inputs().size() <= maxBatch)) {
            Pending next = queue.poll();
            batch.add(next);
            size += next.inputs().size();
          }
          if (batch.isEmpty()) {
            draining--;
            return;
          }
        }
        runBatch(batch);
      }
    }

    private void runBatch(List<Pending> batch) {
      if (batch.size() == 1) {
        runAlone(batch.get(0));
        return;
      }
      List<ModelInput> all = new ArrayList<>();
      batch.forEach(p -> all.addAll(p.inputs()));
      float[][] out;
      try {
        out = traced(batch, all.size(), () -> engine.apply(all));
      } catch (RuntimeException | Error e) {
        batch.forEach(this::runAlone);
        return;
      }
      int from = 0;
      for (Pending p : batch) {
        float[][] mine = new float[p.inputs().size()][];
        System.arraycopy(out, from, mine, 0, mine.length);
        from += mine.length;
        p.result().complete(mine);
      }
    }

    private void runAlone(Pending p) {
      try {
        p.result().complete(traced(List.of(p), p.inputs().size(), () -> engine.apply(p.inputs())));
      } catch (RuntimeException | Error e) {
        p.result().completeExceptionally(e);
      }
    }

    private float[][] traced(List<Pending> batch, int inputs, Supplier<float[][]> call) {
      var builder = tracer.spanBuilder("graft.inference.batch").setParent(batch.get(0).context())
          .setAttribute("graft.batch.requests", batch.size())
          .setAttribute("graft.batch.inputs", inputs);
      for (Pending p : batch) {
        builder.addLink(Span.fromContext(p.context()).getSpanContext());
      }
      return Spans.within(builder.startSpan(), call);
    }
  }
}
