package dev.graft.plugins.timeseries.pretrain;

import ai.djl.Device;
import ai.djl.engine.Engine;
import dev.graft.plugins.timeseries.encoder.EncoderConfig;
import dev.graft.plugins.timeseries.encoder.SeriesEncoder;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * One transfer experiment on one series, as the benchmark and the end-to-end quality test run
 * it: windows cut with stride 1, the first {@code trainShare} of the series for training, windows
 * whose targets lie in the rest for validation; an encoder (pretrained or fresh) with a linear
 * head trained for a fixed number of epochs (fine-tuning: half of them as a linear probe, then
 * everything at a tenth of the learning rate); MASE of the model and of the baselines on the
 * validation windows. Not thread-safe; stateless between calls.
 */
public final class TransferRun {
  /** How the encoder starts and what trains. */
  public enum Mode {
    /** Pretrained encoder, frozen; only the head trains. */
    FEATURE_EXTRACTION,
    /** Pretrained encoder and head train together. */
    FINE_TUNING,
    /** A freshly initialised encoder and head train together. */
    FROM_SCRATCH
  }

  /** Validation MASE of a run: the model's and the baselines'. */
  public record Result(double model, double naive, double seasonalNaive, double drift,
      int trainWindows, int validationWindows, double seconds) {}

  private TransferRun() {}

  /** Train and validation windows ({@code context + horizon} long) of one series. */
  public record Split(List<float[]> train, List<float[]> validation) {}

  public static Split split(float[] series, int context, int horizon, double trainShare) {
    int cut = (int) Math.round(series.length * trainShare);
    List<float[]> train = new ArrayList<>();
    List<float[]> validation = new ArrayList<>();
    for (int start = 0; start + context + horizon <= series.length; start++) {
      float[] w = Arrays.copyOfRange(series, start, start + context + horizon);
      if (start + context + horizon <= cut) {
        train.add(w);
      } else if (start + context >= cut) {
        validation.add(w);
      }
    }
    return new Split(train, validation);
  }

  /**
   * Runs one mode.
   *
   * @param pretrained the ts-encoder's weights (ignored from scratch)
   */
  public static Result run(Mode mode, byte[] pretrained, Split split, int context, int horizon,
      int season, int epochs, long seed) throws IOException {
    long t0 = System.nanoTime();
    Engine.getEngine(SeriesEncoder.ENGINE).setRandomSeed((int) seed);
    EncoderConfig config = EncoderConfig.TS_ENCODER;
    SeriesEncoder encoder = mode == Mode.FROM_SCRATCH
        ? SeriesEncoder.create(config, Device.cpu())
        : SeriesEncoder.open(config, Device.cpu(), new ByteArrayInputStream(pretrained));
    try (ForecastNetwork network = new ForecastNetwork(encoder, horizon)) {
      SplittableRandom rng = new SplittableRandom(seed);
      List<float[]> train = new ArrayList<>(split.train());
      if (mode == Mode.FROM_SCRATCH) {
        epochs(new ForecastTraining(network, 1e-3f, 1e-4f), train, epochs, rng);
      } else {
        // Linear probe first (frozen encoder); fine-tuning then unfreezes for the second half
        // (LP-FT: a random head would otherwise pull the pretrained features apart).
        network.freezeEncoder(true);
        int probe = mode == Mode.FEATURE_EXTRACTION ? epochs : epochs / 2;
        epochs(new ForecastTraining(network, 3e-3f, 1e-4f), train, probe, rng);
        if (mode == Mode.FINE_TUNING) {
          network.freezeEncoder(false);
          epochs(new ForecastTraining(network, 3e-4f, 1e-4f), train, epochs - probe, rng);
        }
      }
      List<float[]> contexts = new ArrayList<>();
      for (float[] w : split.validation()) {
        contexts.add(Arrays.copyOfRange(w, w.length - horizon - context, w.length - horizon));
      }
      float[][] forecasts = network.forecast(contexts);
      double model = 0;
      double naive = 0;
      double seasonal = 0;
      double drift = 0;
      int n = 0;
      for (int i = 0; i < contexts.size(); i++) {
        float[] ctx = contexts.get(i);
        float[] w = split.validation().get(i);
        float[] truth = Arrays.copyOfRange(w, w.length - horizon, w.length);
        double scale = Baselines.naiveScale(ctx);
        if (scale <= 0) {
          continue;
        }
        model += Baselines.mae(forecasts[i], truth) / scale;
        naive += Baselines.mae(Baselines.naive(ctx, horizon), truth) / scale;
        seasonal += Baselines.mae(Baselines.seasonalNaive(ctx, horizon, season), truth) / scale;
        drift += Baselines.mae(Baselines.drift(ctx, horizon), truth) / scale;
        n++;
      }
      return new Result(model / n, naive / n, seasonal / n, drift / n, split.train().size(),
          n, (System.nanoTime() - t0) / 1e9);
    }
  }

  private static void epochs(ForecastTraining training, List<float[]> train, int epochs,
      SplittableRandom rng) {
    int batch = 32;
    for (int epoch = 0; epoch < epochs; epoch++) {
      shuffle(train, rng);
      for (int from = 0; from < train.size(); from += batch) {
        training.step(train.subList(from, Math.min(train.size(), from + batch)));
      }
    }
  }

  private static void shuffle(List<float[]> list, SplittableRandom rng) {
    for (int i = list.size() - 1; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      float[] t = list.get(i);
      list.set(i, list.get(j));
      list.set(j, t);
    }
  }
}
