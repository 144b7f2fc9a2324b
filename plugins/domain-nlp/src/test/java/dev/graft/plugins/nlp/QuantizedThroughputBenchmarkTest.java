package dev.graft.plugins.nlp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.Device;
import dev.graft.spi.FeatureRequest;
import dev.graft.spi.ModelInput;
import dev.graft.spi.Pooling;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Extract throughput of {@code minilm-l6} (fp32) against {@code minilm-l6-q} (int8) through the
 * same {@link OnnxTextEncoder}, on the 2,000 yelp + amazon sentences, at batch 1 and batch 32:
 * each round encodes them all with both models, alternating every 160 sentences; medians of
 * the rounds are reported. Not part of CI: run with
 * {@code -Dgraft.bench=true} ({@code -Dgraft.bench.rounds=N}, default 3). Prints Markdown rows.
 */
class QuantizedThroughputBenchmarkTest {
  private static final int SLICE = 160;
  @TempDir Path dir;

  @Test
  void int8AgainstFp32() throws Exception {
    assumeTrue(Boolean.getBoolean("graft.bench"), "benchmark: run with -Dgraft.bench=true");
    int rounds = Integer.getInteger("graft.bench.rounds", 3);
    List<ModelInput> sentences = SentimentSentences.load(Integer.MAX_VALUE);
    assertEquals(2000, sentences.size());
    FeatureRequest request = new FeatureRequest("", Pooling.DEFAULT, true);
    List<String> rows = new ArrayList<>();
    try (OnnxTextEncoder fp32 = OnnxTextEncoder.open(
            BuiltinFixture.materialize(dir.resolve("fp32")), Device.cpu());
        OnnxTextEncoder int8 = OnnxTextEncoder.open(
            BuiltinFixture.materialize(BuiltinEncoders.MINILM_Q, dir.resolve("q"), Map.of()),
            Device.cpu())) {
      for (int batch : new int[] {1, 32}) {
        seconds(fp32, sentences.subList(0, 192), batch, request); // warm-up
        seconds(int8, sentences.subList(0, 192), batch, request);
        double[] f = new double[rounds];
        double[] q = new double[rounds];
        for (int r = 0; r < rounds; r++) {
          // Slices of 160 sentences, the models alternating (and which goes first), so that
          // both see the same load on a shared machine.
          double tf = 0;
          double tq = 0;
          for (int i = 0, slice = 0; i < sentences.size(); i += SLICE, slice++) {
            List<ModelInput> part = sentences.subList(i, Math.min(sentences.size(), i + SLICE));
            if ((slice + r) % 2 == 0) {
              tf += seconds(fp32, part, batch, request);
              tq += seconds(int8, part, batch, request);
            } else {
              tq += seconds(int8, part, batch, request);
              tf += seconds(fp32, part, batch, request);
            }
          }
          f[r] = sentences.size() / tf;
          q[r] = sentences.size() / tq;
          System.out.printf(Locale.ROOT, "batch %d round %d: minilm-l6 %.1f/s, minilm-l6-q %.1f/s"
              + " (%.2f×)%n", batch, r + 1, f[r], q[r], q[r] / f[r]);
        }
        double[] ratios = new double[rounds];
        for (int r = 0; r < rounds; r++) {
          ratios[r] = q[r] / f[r];
        }
        rows.add(String.format(Locale.ROOT, "| %d | %.1f | %.1f | %.2f× (%.2f–%.2f) |", batch,
            median(f), median(q), median(ratios), Arrays.stream(ratios).min().orElseThrow(),
            Arrays.stream(ratios).max().orElseThrow()));
      }
    }
    System.out.printf(Locale.ROOT, "%d cores, load average %.2f%n",
        Runtime.getRuntime().availableProcessors(),
        ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    System.out.println("| batch | minilm-l6 (fp32) sentences/s | minilm-l6-q (int8) sentences/s"
        + " | speed-up, median (range) of paired rounds |");
    System.out.println("|---|---|---|---|");
    rows.forEach(System.out::println);
  }

  /** Seconds to encode {@code sentences} in calls of {@code batch}. */
  private static double seconds(OnnxTextEncoder encoder, List<ModelInput> sentences, int batch,
      FeatureRequest request) {
    long start = System.nanoTime();
    int done = 0;
    for (int i = 0; i < sentences.size(); i += batch) {
      done += encoder.extract(sentences.subList(i, Math.min(sentences.size(), i + batch)),
          request).length;
    }
    assertEquals(sentences.size(), done);
    return (System.nanoTime() - start) / 1e9;
  }

  private static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }
}
