package dev.graft.plugins.timeseries;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.plugins.timeseries.pretrain.TransferRun;
import java.io.IOException;
import java.io.InputStream;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * End to end on the encoder: a generated series of known structure (a period-12 and a period-5
 * season, a trend, AR(1) noise), never part of pretraining; a briefly fine-tuned ts-encoder must
 * forecast it better than seasonal-naive with the true main period.
 */
class FineTunedBeatsSeasonalNaiveTest {

  static float[] series(long seed) {
    Random r = new Random(seed);
    float[] x = new float[420];
    double ar = 0;
    for (int t = 0; t < x.length; t++) {
      ar = 0.6 * ar + 0.3 * r.nextGaussian();
      x[t] = (float) (50 + 0.05 * t + 3 * Math.sin(2 * Math.PI * t / 12) + 1.5 * Math.sin(2 * Math.PI * t / 5) + ar);
    }
    return x;
  }

  @Test
  void fineTunedEncoderBeatsSeasonalNaive() throws IOException {
    byte[] weights;
    try (InputStream in = BuiltinEncoder.tsEncoder().files().get(0).opener().open()) {
      weights = in.readAllBytes();
    }
    TransferRun.Split split = TransferRun.split(series(3), 64, 12, 0.8);
    TransferRun.Result r = TransferRun.run(
        TransferRun.Mode.FINE_TUNING, weights, split, 64, 12, 12, 4, 1);
    assertTrue(r.model() < r.seasonalNaive(),
        "fine-tuned MASE " + r.model() + " vs seasonal-naive " + r.seasonalNaive());
  }
}
