package dev.graft.plugins.timeseries.pretrain;

import ai.djl.Device;
import ai.djl.engine.Engine;
import dev.graft.plugins.timeseries.encoder.EncoderConfig;
import dev.graft.plugins.timeseries.encoder.SeriesEncoder;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;

/**
 * The ts-encoder pretraining command: {@code PretrainMain --out FILE [--steps N] [--batch N]
 * [--seed N] [--assets DIR | --synthetic-only]}. Trains the encoder with a forecasting head
 * (context 64 → next 16 points, scaled MAE) on the seeded corpus and writes the encoder's weights
 * (the head is dropped). Prints throughput. See scripts/pretrain-ts-encoder and docs/ts-encoder.md.
 */
public final class PretrainMain {
  /** The pretraining horizon. */
  public static final int HORIZON = 16;

  private PretrainMain() {}

  /** The settings of one run. */
  public record Settings(long seed, int steps, int batch, int synthetic, float learningRate) {
    /** The settings that made the committed ts-encoder. */
    public static Settings standard() {
      return new Settings(20261129L, 5000, 64, 4000, 1e-3f);
    }
  }

  public static void main(String[] args) throws IOException {
    // One intra-op and one inter-op thread: with two inter-op threads, autograd may accumulate
    // gradients in a different order from run to run and the weights drift apart (measured).
    System.setProperty("ai.djl.pytorch.num_threads", "1");
    System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
    Settings d = Settings.standard();
    Path out = null;
    Path assets = Path.of("assets/vega-datasets");
    boolean syntheticOnly = false;
    int steps = d.steps();
    int batch = d.batch();
    long seed = d.seed();
    float lr = d.learningRate();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--out" -> out = Path.of(args[++i]);
        case "--steps" -> steps = Integer.parseInt(args[++i]);
        case "--batch" -> batch = Integer.parseInt(args[++i]);
        case "--seed" -> seed = Long.parseLong(args[++i]);
        case "--lr" -> lr = Float.parseFloat(args[++i]);
        case "--assets" -> assets = Path.of(args[++i]);
        case "--synthetic-only" -> syntheticOnly = true;
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    if (out == null) {
      throw new IllegalArgumentException("--out FILE is required");
    }
    List<RealSeries.Named> real = syntheticOnly ? List.of() : RealSeries.corpus(assets);
    Settings s = new Settings(seed, steps, batch, d.synthetic(), lr);
    long t0 = System.nanoTime();
    try (SeriesEncoder encoder = pretrain(s, real, Device.cpu(), true)) {
      double seconds = (System.nanoTime() - t0) / 1e9;
      Path tmp = out.resolveSibling(out.getFileName() + ".tmp");
      Files.createDirectories(out.toAbsolutePath().getParent());
      try (OutputStream o = Files.newOutputStream(tmp)) {
        encoder.saveParameters(o);
      }
      Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      System.out.printf(Locale.ROOT,
          "wrote %s: %d parameters, %d steps x %d windows in %.1f s (%.0f windows/s incl. corpus)%n",
          out, encoder.parameterCount(), steps, batch, seconds, steps * (double) batch / seconds);
    }
  }

  /** Runs pretraining and returns the encoder (the caller closes it). */
  public static SeriesEncoder pretrain(Settings s, List<RealSeries.Named> real, Device device,
      boolean log) {
    Engine.getEngine(SeriesEncoder.ENGINE).setRandomSeed((int) s.seed());
    EncoderConfig config = EncoderConfig.TS_ENCODER;
    PretrainCorpus corpus =
        new PretrainCorpus(s.seed(), s.synthetic(), 256, real, config.context() + HORIZON);
    ForecastNetwork network = new ForecastNetwork(SeriesEncoder.create(config, device), HORIZON);
    ForecastTraining training = new ForecastTraining(network, s.learningRate(), 1e-4f);
    long t0 = System.nanoTime();
    double running = 0;
    int skipped = 0;
    for (int step = 1; step <= s.steps(); step++) {
      float loss = training.step(corpus.batch(s.batch()));
      if (!Float.isFinite(loss)) {
        skipped++;
        if (skipped > Math.max(5, s.steps() / 100)) {
          throw new IllegalStateException("pretraining diverged: " + skipped
              + " non-finite steps by step " + step);
        }
        continue;
      }
      running = step == 1 ? loss : 0.98 * running + 0.02 * loss;
      if (log && (step % 50 == 0 || step == s.steps())) {
        double sec = (System.nanoTime() - t0) / 1e9;
        System.out.printf(Locale.ROOT, "step %d/%d loss %.4f (%.0f windows/s, %d skipped)%n",
            step, s.steps(), running, step * (double) s.batch() / sec, skipped);
      }
    }
    for (dev.graft.spi.ParameterGroup g : network.encoder().groups()) {
      for (ai.djl.nn.Parameter p : g.parameters()) {
        for (float v : p.getArray().toFloatArray()) {
          if (!Float.isFinite(v)) {
            network.close();
            throw new IllegalStateException("pretraining produced a non-finite weight in " + g.name());
          }
        }
      }
    }
    return network.encoder();
  }
}
