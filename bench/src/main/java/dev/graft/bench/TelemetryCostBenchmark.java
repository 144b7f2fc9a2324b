package dev.graft.bench;

import dev.graft.client.GraftClient;
import dev.graft.server.app.ConfigLoader;
import dev.graft.server.app.GraftServer;
import dev.graft.server.app.ServerComponent;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.TraceServiceGrpc;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What observability costs: Extract on minilm-l6 through two servers in the same run, one with
 * {@code metrics=false tracing=off}, one with metrics on (scraped every 5 s, three times
 * Prometheus' default rate) and every call traced and exported over OTLP/gRPC to a collector in
 * this process. Each case alternates off/on in {@value #PAIRS} pairs of short runs, so that drift
 * and neighbours on a shared machine hit both alike; the change reported is the median of the
 * pairs' ratios, with their range. Prints a Markdown table for docs/benchmarks.md
 * ({@code bench/run-telemetry-cost}).
 *
 * <pre>TelemetryCostBenchmark ASSETS_DIR WORK_DIR [SECONDS_PER_CASE]</pre>
 */
public final class TelemetryCostBenchmark {
  private static final int PAIRS = 8;

  private TelemetryCostBenchmark() {}

  public static void main(String[] args) throws Exception {
    Path assets = Path.of(args[0]);
    Path work = Path.of(args[1]);
    double seconds = args.length > 2 ? Double.parseDouble(args[2]) : 20;
    List<String> sentences = ExtractBenchmark.sentences(assets);
    AtomicLong spans = new AtomicLong();
    Server collector = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addService(new TraceServiceGrpc.TraceServiceImplBase() {
          @Override
          public void export(ExportTraceServiceRequest request, StreamObserver<ExportTraceServiceResponse> out) {
            request.getResourceSpansList().forEach(r -> r.getScopeSpansList().forEach(s -> spans.addAndGet(s.getSpansCount())));
            out.onNext(ExportTraceServiceResponse.getDefaultInstance());
            out.onCompleted();
          }
        }).build().start();
    System.setProperty("otel.exporter.otlp.endpoint", "http://127.0.0.1:" + collector.getPort());
    System.setProperty("otel.exporter.otlp.protocol", "grpc");

    GraftServer off = start(work.resolve("off"), "--metrics", "false", "--tracing", "off");
    GraftServer on = start(work.resolve("on"), "--metrics", "true", "--tracing", "otlp");
    Thread scraper = new Thread(() -> scrape(on.httpPort()), "scraper");
    scraper.setDaemon(true);
    scraper.start();
    List<String> rows = new ArrayList<>();
    try (GraftClient cOff = GraftClient.builder("localhost:" + off.port()).build();
        GraftClient cOn = GraftClient.builder("localhost:" + on.port()).build()) {
      ExtractBenchmark.run(seconds / 4, 2, 1, sentences, b -> ExtractBenchmark.graft(cOff, b));
      ExtractBenchmark.run(seconds / 4, 2, 1, sentences, b -> ExtractBenchmark.graft(cOn, b));
      for (int[] c : new int[][] {{1, 1}, {16, 1}, {1, 32}}) {
        double[] ratios = new double[PAIRS];
        double offRate = 0;
        double onRate = 0;
        double offP50 = 0;
        double onP50 = 0;
        for (int pair = 0; pair < PAIRS; pair++) {
          ExtractBenchmark.Measure a = ExtractBenchmark.run(seconds / PAIRS / 2, c[0], c[1], sentences,
              b -> ExtractBenchmark.graft(cOff, b));
          ExtractBenchmark.Measure b = ExtractBenchmark.run(seconds / PAIRS / 2, c[0], c[1], sentences,
              x -> ExtractBenchmark.graft(cOn, x));
          ratios[pair] = b.perSecond() / a.perSecond();
          offRate += a.perSecond() / PAIRS;
          onRate += b.perSecond() / PAIRS;
          offP50 += a.p50Ms() / PAIRS;
          onP50 += b.p50Ms() / PAIRS;
        }
        java.util.Arrays.sort(ratios);
        double median = (ratios[PAIRS / 2 - 1] + ratios[PAIRS / 2]) / 2;
        rows.add(String.format(Locale.ROOT, "| %d | %d | %.0f | %.0f | %+.1f %% (pairs %+.0f … %+.0f %%) | %.2f | %.2f |",
            c[0], c[1], offRate, onRate, (median - 1) * 100, (ratios[0] - 1) * 100, (ratios[PAIRS - 1] - 1) * 100,
            offP50, onP50));
      }
    } finally {
      off.shutdown();
      on.shutdown();
      collector.shutdownNow();
    }
    System.out.println("| clients | sentences per call | off: sentences/s | metrics + tracing: sentences/s "
        + "| change (median of pairs) | off p50 ms | on p50 ms |");
    System.out.println("|---|---|---|---|---|---|---|");
    rows.forEach(System.out::println);
    System.out.println();
    System.out.println("Spans received by the OTLP collector: " + spans.get());
  }

  private static GraftServer start(Path store, String... settings) throws Exception {
    Files.createDirectories(store);
    List<String> args = new ArrayList<>(List.of("--port", "0", "--store", store.toString(),
        "--inference-slots", "16", "--access-log", "false"));
    args.addAll(List.of(settings));
    return ServerComponent.create(new ConfigLoader(Map.of()).load(args.toArray(String[]::new))).server().start();
  }

  /** Scrapes /metrics every 5 s, as a (keen) Prometheus would. */
  private static void scrape(int port) {
    HttpClient http = HttpClient.newHttpClient();
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/metrics")).build();
    while (true) {
      try {
        http.send(request, HttpResponse.BodyHandlers.discarding());
        Thread.sleep(5000);
      } catch (InterruptedException e) {
        return;
      } catch (java.io.IOException e) {
        // the server went away at the end of the run
        return;
      }
    }
  }
}
