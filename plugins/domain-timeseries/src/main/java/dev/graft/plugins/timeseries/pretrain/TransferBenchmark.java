package dev.graft.plugins.timeseries.pretrain;

import dev.graft.plugins.timeseries.encoder.EncoderConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The time-series transfer benchmark: {@code TransferBenchmark WEIGHTS [ASSETS_DIR] [EPOCHS]}.
 * For each series held out of pretraining, prints the validation MASE of feature extraction,
 * fine-tuning, from-scratch and the baselines as a Markdown table (docs/benchmarks.md).
 */
public final class TransferBenchmark {
  private TransferBenchmark() {}

  /** A held-out series and how it is cut. */
  record Case(RealSeries.Named series, int context, int horizon) {}

  public static void main(String[] args) throws IOException {
    byte[] weights = Files.readAllBytes(Path.of(args[0]));
    Path assets = Path.of(args.length > 1 ? args[1] : "assets/vega-datasets");
    int epochs = args.length > 2 ? Integer.parseInt(args[2]) : 20;
    List<RealSeries.Named> held = RealSeries.heldOut(assets);
    int context = EncoderConfig.TS_ENCODER.context();
    List<Case> cases = List.of(
        new Case(held.get(0), context, 12),
        new Case(held.get(1), context, 7),
        new Case(held.get(2), 36, 6),
        new Case(held.get(3), context, 7));
    System.out.println("| series | points | horizon | train/val windows | feature extraction | fine-tuning"
        + " | from scratch | seasonal-naive (m) | naive | drift |");
    System.out.println("|---|---|---|---|---|---|---|---|---|---|");
    for (Case c : cases) {
      float[] x = c.series().values();
      if (x.length < c.context() + 2 * c.horizon()) {
        System.out.println("| " + c.series().name() + " | " + x.length + " | too short | | | | | | | |");
        continue;
      }
      TransferRun.Split split = TransferRun.split(x, c.context(), c.horizon(), 0.8);
      int m = c.series().season();
      TransferRun.Result fe = TransferRun.run(TransferRun.Mode.FEATURE_EXTRACTION, weights, split,
          c.context(), c.horizon(), m, epochs, 1);
      TransferRun.Result ft = TransferRun.run(TransferRun.Mode.FINE_TUNING, weights, split,
          c.context(), c.horizon(), m, epochs, 1);
      TransferRun.Result sc = TransferRun.run(TransferRun.Mode.FROM_SCRATCH, weights, split,
          c.context(), c.horizon(), m, epochs, 1);
      System.out.printf(Locale.ROOT,
          "| %s (%s) | %d | %d | %d/%d | %.3f | %.3f | %.3f | %.3f (%d) | %.3f | %.3f |%n",
          c.series().name(), c.series().frequency(), x.length, c.horizon(), fe.trainWindows(),
          fe.validationWindows(), fe.model(), ft.model(), sc.model(), fe.seasonalNaive(), m,
          fe.naive(), fe.drift());
      System.err.printf(Locale.ROOT, "%s: fe %.1fs ft %.1fs scratch %.1fs%n", c.series().name(),
          fe.seconds(), ft.seconds(), sc.seconds());
    }
  }
}
