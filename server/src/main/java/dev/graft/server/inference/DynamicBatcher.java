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
 * Merges concurrent requests for the same engine into one engine call. Requests for one key queue
 * up; at most {@code parallelism} drains per key take up to {@code maxBatch} inputs at a time and
 * run them as one call. There is no artificial delay: a request that finds a drain free runs at
 * once, and requests batch only while the engine is busy — so a lone caller pays nothing and a
 * crowd gets the engine's batch throughput.
 *
 * <p>Each request carries a tag the engine may use to finish its part differently: requests for
 * different heads on one backbone share a key (one backbone pass) and each head runs on its own
 * rows.
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

  /** One request's part of a merged engine call: its tag ({@code null} when untagged) and inputs. */
  record Part(String tag, List<ModelInput> inputs) {}

  /** Runs a merged call: one output array per part, in the parts' order. */
  @FunctionalInterface
  interface Engine {
    List<float[][]> run(List<Part> parts);
  }

  /**
   * Runs {@code inputs} through {@code engine}, possibly together with other requests of the same
   * {@code key}; returns this request's outputs, in order. {@code engine} must be the same
   * function for every request of a key.
   */
  float[][] run(String key, List<ModelInput> inputs, Function<List<ModelInput>, float[][]> engine) {
    return run(key, null, inputs, parts -> split(parts, engine.apply(concat(parts))));
  }

  /**
   * Runs {@code inputs}, tagged {@code tag}, through {@code engine}, possibly together with other
   * requests of the same {@code key} (whatever their tags); returns this request's outputs.
   * {@code engine} must be the same function for every request of a key.
   */
  float[][] run(String key, String tag, List<ModelInput> inputs, Engine engine) {
    Pending pending = new Pending(new Part(tag, inputs));
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

  /** Every part's inputs, in order. */
  static List<ModelInput> concat(List<Part> parts) {
    if (parts.size() == 1) {
      return parts.get(0).inputs();
    }
    List<ModelInput> all = new ArrayList<>();
    parts.forEach(p -> all.addAll(p.inputs()));
    return all;
  }

  /** {@code rows}, one per input of {@code parts} in order, cut back into each part's rows. */
  static List<float[][]> split(List<Part> parts, float[][] rows) {
    List<float[][]> out = new ArrayList<>(parts.size());
    int from = 0;
    for (Part p : parts) {
      float[][] mine = new float[p.inputs().size()][];
      System.arraycopy(rows, from, mine, 0, mine.length);
      from += mine.length;
      out.add(mine);
    }
    return out;
  }

  /** A request waiting for the engine, with the trace context of the call that made it. */
  private record Pending(Part part, CompletableFuture<float[][]> result, Context context) {
    Pending(Part part) {
      this(part, new CompletableFuture<>(), Context.current());
    }

    int size() {
      return part.inputs().size();
    }
  }

  /** The queue and drains of one key. */
  private final class Lane {
    private final Engine engine;
    private final Deque<Pending> queue = new ArrayDeque<>();
    private int draining;

    Lane(Engine engine) {
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
          while (!queue.isEmpty() && (batch.isEmpty() || size + queue.peek().size() <= maxBatch)) {
            Pending next = queue.poll();
            batch.add(next);
            size += next.size();
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
      List<float[][]> out;
      try {
        out = traced(batch, batch.stream().mapToInt(Pending::size).sum(),
            () -> engine.run(batch.stream().map(Pending::part).toList()));
      } catch (RuntimeException | Error e) {
        batch.forEach(this::runAlone);
        return;
      }
      for (int i = 0; i < batch.size(); i++) {
        batch.get(i).result().complete(out.get(i));
      }
    }

    private void runAlone(Pending p) {
      try {
        p.result().complete(traced(List.of(p), p.size(), () -> engine.run(List.of(p.part()))).get(0));
      } catch (RuntimeException | Error e) {
        p.result().completeExceptionally(e);
      }
    }

    private List<float[][]> traced(List<Pending> batch, int inputs, Supplier<List<float[][]>> call) {
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
