package dev.graft.plugins.timeseries.pretrain;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The pretraining corpus: {@code synthetic} generated series (see {@link SyntheticSeries}) and the
 * real corpus series, from which training windows are drawn at random. Deterministic for a seed.
 * Not thread-safe (it owns its random generator).
 */
public final class PretrainCorpus {
  /** The share of windows drawn from real series (when there are any). */
  static final double REAL_SHARE = 0.15;

  private final List<float[]> synthetic = new ArrayList<>();
  private final List<float[]> real = new ArrayList<>();
  private final SplittableRandom rng;
  private final int window;

  public PretrainCorpus(long seed, int syntheticCount, int syntheticLength,
      List<RealSeries.Named> realSeries, int window) {
    SplittableRandom gen = new SplittableRandom(seed);
    for (int i = 0; i < syntheticCount; i++) {
      synthetic.add(SyntheticSeries.generate(gen.split(), syntheticLength));
    }
    for (RealSeries.Named r : realSeries) {
      if (r.values().length >= window) {
        real.add(r.values());
      }
    }
    this.rng = new SplittableRandom(seed ^ 0x5DEECE66DL);
    this.window = window;
  }

  /** {@code n} random windows of the corpus's window length. */
  public List<float[]> batch(int n) {
    List<float[]> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      List<float[]> pool = !real.isEmpty() && rng.nextDouble() < REAL_SHARE ? real : synthetic;
      float[] s = pool.get(rng.nextInt(pool.size()));
      int start = rng.nextInt(s.length - window + 1);
      out.add(java.util.Arrays.copyOfRange(s, start, start + window));
    }
    return out;
  }

  public int syntheticCount() {
    return synthetic.size();
  }

  public int realCount() {
    return real.size();
  }
}
