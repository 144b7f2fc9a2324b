package dev.graft.bench;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The bare engine's rates for {@code bench/run-serving}: minilm-l6's {@code model.onnx} and
 * tokenizer through ONNX Runtime's own Java API ({@link ExtractBenchmark.RawOrt}: mean pooling and
 * L2 in plain Java), one caller, at each batch size. Prints one JSON object per batch size:
 * sentences per second, p50 and p99 per call, and this process's CPU seconds per 1,000 sentences.
 *
 * <pre>RawOrtBenchmark MODEL_DIR ASSETS_DIR SECONDS_PER_CASE BATCH...</pre>
 */
public final class RawOrtBenchmark {
  private RawOrtBenchmark() {}

  public static void main(String[] args) throws Exception {
    Path modelDir = Path.of(args[0]);
    List<String> sentences = ExtractBenchmark.sentences(Path.of(args[1]));
    double seconds = Double.parseDouble(args[2]);
    var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    try (ExtractBenchmark.RawOrt raw = new ExtractBenchmark.RawOrt(modelDir)) {
      run(raw, sentences, 8, 3); // warm up
      for (int a = 3; a < args.length; a++) {
        int batch = Integer.parseInt(args[a]);
        long cpu = os.getProcessCpuTime();
        long start = System.nanoTime();
        List<Long> latencies = run(raw, sentences, batch, seconds);
        double elapsed = (System.nanoTime() - start) / 1e9;
        double cpuSeconds = (os.getProcessCpuTime() - cpu) / 1e9;
        long n = (long) latencies.size() * batch;
        long[] sorted = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
        System.out.printf(Locale.ROOT, "{\"system\": \"raw ONNX Runtime (Java)\", \"clients\": 1, \"batch\": %d,"
                + " \"per_second\": %.1f, \"p50_ms\": %.3f, \"p99_ms\": %.3f, \"cpu_per_1000\": %.3f, \"errors\": 0}%n",
            batch, n / elapsed, sorted[sorted.length / 2] / 1e6, sorted[(int) (sorted.length * 0.99)] / 1e6,
            cpuSeconds * 1000 / n);
      }
    }
  }

  /** Embeds consecutive batches of the sentences (cycling) for {@code seconds}; per-call latencies. */
  private static List<Long> run(ExtractBenchmark.RawOrt raw, List<String> sentences, int batch, double seconds)
      throws Exception {
    List<Long> latencies = new ArrayList<>();
    long end = System.nanoTime() + (long) (seconds * 1e9);
    int from = 0;
    while (System.nanoTime() < end) {
      if (from + batch > sentences.size()) {
        from = 0;
      }
      long t0 = System.nanoTime();
      raw.embed(sentences.subList(from, from + batch));
      latencies.add(System.nanoTime() - t0);
      from += batch;
    }
    return latencies;
  }
}
