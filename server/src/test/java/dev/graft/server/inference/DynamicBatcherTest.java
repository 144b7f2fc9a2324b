package dev.graft.server.inference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.spi.GraftException;
import dev.graft.spi.ModelInput;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class DynamicBatcherTest {
  private static final io.opentelemetry.api.trace.Tracer NO_TRACES =
      io.opentelemetry.api.OpenTelemetry.noop().getTracer("test");
  private final ExecutorService engineThreads = Executors.newCachedThreadPool();
  private final ExecutorService callers = Executors.newCachedThreadPool();

  @AfterEach
  void stop() {
    engineThreads.shutdownNow();
    callers.shutdownNow();
  }

  /** An engine that echoes each text's length, records its batch sizes, and can be held. */
  static final class Engine implements Function<List<ModelInput>, float[][]> {
    final List<Integer> batches = Collections.synchronizedList(new ArrayList<>());
    final CountDownLatch release;

    Engine(CountDownLatch release) {
      this.release = release;
    }

    @Override
    public float[][] apply(List<ModelInput> inputs) {
      try {
        release.await(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      batches.add(inputs.size());
      float[][] out = new float[inputs.size()][];
      for (int i = 0; i < out.length; i++) {
        String text = ((ModelInput.Text) inputs.get(i)).text();
        if (text.equals("bad")) {
          throw GraftException.invalidArgument("inputs[" + i + "]", "BAD", "bad input");
        }
        out[i] = new float[] {text.length()};
      }
      return out;
    }
  }

  private static List<ModelInput> texts(String... t) {
    List<ModelInput> out = new ArrayList<>();
    for (String s : t) {
      out.add(new ModelInput.Text(s));
    }
    return out;
  }

  @Test
  void aLoneCallRunsAtOnce() {
    DynamicBatcher batcher = new DynamicBatcher(32, 1, engineThreads, NO_TRACES);
    Engine engine = new Engine(new CountDownLatch(0));
    float[][] out = batcher.run("m", texts("a", "abc"), engine);
    assertArrayEquals(new float[] {1}, out[0]);
    assertArrayEquals(new float[] {3}, out[1]);
    assertEquals(List.of(2), engine.batches);
  }

  @Test
  void callsArrivingWhileTheEngineIsBusyAreMergedAndSplitBack() throws Exception {
    DynamicBatcher batcher = new DynamicBatcher(32, 1, engineThreads, NO_TRACES);
    CountDownLatch release = new CountDownLatch(1);
    Engine engine = new Engine(release);
    Future<float[][]> first = callers.submit(() -> batcher.run("m", texts("x"), engine));
    Thread.sleep(100); // the first call now holds the engine
    List<Future<float[][]>> rest = new ArrayList<>();
    for (int i = 1; i <= 10; i++) {
      String text = "y".repeat(i);
      rest.add(callers.submit(() -> batcher.run("m", texts(text), engine)));
    }
    Thread.sleep(200); // all ten are queued
    release.countDown();
    assertArrayEquals(new float[] {1}, first.get()[0]);
    for (int i = 1; i <= 10; i++) {
      assertArrayEquals(new float[] {i}, rest.get(i - 1).get()[0], "each caller gets its own output");
    }
    assertEquals(List.of(1, 10), engine.batches, "the ten queued calls ran as one engine call");
  }

  @Test
  void aMergedBatchIsOneSpanLinkedToEveryRequestInIt() throws Exception {
    io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter exported =
        io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter.create();
    try (io.opentelemetry.sdk.trace.SdkTracerProvider provider = io.opentelemetry.sdk.trace.SdkTracerProvider.builder()
        .addSpanProcessor(io.opentelemetry.sdk.trace.export.SimpleSpanProcessor.create(exported)).build()) {
      io.opentelemetry.api.trace.Tracer tracer = provider.get("test");
      DynamicBatcher batcher = new DynamicBatcher(32, 1, engineThreads, tracer);
      CountDownLatch release = new CountDownLatch(1);
      Engine engine = new Engine(release);
      List<io.opentelemetry.api.trace.Span> requests = new ArrayList<>();
      List<Future<float[][]>> calls = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        io.opentelemetry.api.trace.Span request = tracer.spanBuilder("request-" + i).startSpan();
        requests.add(request);
        calls.add(callers.submit(io.opentelemetry.context.Context.root().with(request)
            .wrap(() -> batcher.run("m", texts("x"), engine))));
        Thread.sleep(i == 0 ? 100 : 20); // the first holds the engine, the other three queue
      }
      Thread.sleep(100);
      release.countDown();
      for (Future<float[][]> f : calls) {
        f.get();
      }
      assertEquals(List.of(1, 3), engine.batches);
      var batches = exported.getFinishedSpanItems().stream().filter(s -> s.getName().equals("graft.inference.batch"))
          .toList();
      assertEquals(2, batches.size());
      var merged = batches.stream().filter(s -> s.getLinks().size() == 3).findFirst().orElseThrow();
      assertEquals(requests.get(1).getSpanContext().getSpanId(), merged.getParentSpanId(), "child of the first merged");
      for (int i = 1; i < 4; i++) {
        String id = requests.get(i).getSpanContext().getSpanId();
        assertTrue(merged.getLinks().stream().anyMatch(l -> l.getSpanContext().getSpanId().equals(id)),
            "linked to request " + i);
      }
      assertEquals(3L, merged.getAttributes().get(io.opentelemetry.api.common.AttributeKey.longKey("graft.batch.inputs")));
    }
  }

  @Test
  void batchesRespectMaxBatchAndAFailureReachesOnlyItsCaller() throws Exception {
    DynamicBatcher batcher = new DynamicBatcher(4, 1, engineThreads, NO_TRACES);
    CountDownLatch release = new CountDownLatch(1);
    Engine engine = new Engine(release);
    Future<float[][]> first = callers.submit(() -> batcher.run("m", texts("x"), engine));
    Thread.sleep(100);
    List<Future<float[][]>> ok = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      ok.add(callers.submit(() -> batcher.run("m", texts("ab"), engine)));
    }
    Future<float[][]> bad = callers.submit(() -> batcher.run("m", texts("bad"), engine));
    Thread.sleep(200);
    release.countDown();
    first.get();
    for (Future<float[][]> f : ok) {
      assertArrayEquals(new float[] {2}, f.get()[0]);
    }
    var e = assertThrows(java.util.concurrent.ExecutionException.class, bad::get);
    assertEquals("inputs[0]", ((GraftException) e.getCause()).field(), "the error names the caller's own input");
    assertTrue(engine.batches.stream().allMatch(n -> n <= 4), "no engine call above max batch: " + engine.batches);
  }

  @Test
  void callsWithDifferentTagsShareOneEngineCallAndEachPartIsFinishedByItsTag() throws Exception {
    DynamicBatcher batcher = new DynamicBatcher(32, 1, engineThreads, NO_TRACES);
    CountDownLatch release = new CountDownLatch(1);
    List<List<String>> calls = Collections.synchronizedList(new ArrayList<>());
    // the shared pass gives each input its length; the tag then scales its part's rows
    DynamicBatcher.Engine engine = parts -> {
      try {
        release.await(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      calls.add(parts.stream().map(p -> String.valueOf(p.tag())).toList());
      List<float[][]> out = new ArrayList<>();
      for (DynamicBatcher.Part p : parts) {
        float scale = p.tag() == null ? 1 : Float.parseFloat(p.tag());
        float[][] rows = new float[p.inputs().size()][];
        for (int i = 0; i < rows.length; i++) {
          rows[i] = new float[] {scale * ((ModelInput.Text) p.inputs().get(i)).text().length()};
        }
        out.add(rows);
      }
      return out;
    };
    Future<float[][]> first = callers.submit(() -> batcher.run("base", null, texts("x"), engine));
    Thread.sleep(100); // the first call holds the engine
    List<Future<float[][]>> heads = new ArrayList<>();
    for (int h = 1; h <= 4; h++) {
      String tag = Integer.toString(10 * h);
      heads.add(callers.submit(() -> batcher.run("base", tag, texts("ab", "abc"), engine)));
    }
    Future<float[][]> untagged = callers.submit(() -> batcher.run("base", null, texts("abcd"), engine));
    Thread.sleep(200);
    release.countDown();
    assertArrayEquals(new float[] {1}, first.get()[0]);
    for (int h = 1; h <= 4; h++) {
      float[][] out = heads.get(h - 1).get();
      assertArrayEquals(new float[] {20 * h}, out[0], "head " + h + " finished its own rows");
      assertArrayEquals(new float[] {30 * h}, out[1]);
    }
    assertArrayEquals(new float[] {4}, untagged.get()[0]);
    assertEquals(2, calls.size(), "four heads and an untagged call merged into one engine call: " + calls);
    assertEquals(List.of("10", "20", "30", "40", "null"), calls.get(1).stream().sorted().toList());
  }
}
