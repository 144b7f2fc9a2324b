package dev.graft.plugins.finetuning;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import dev.graft.plugins.trainingkit.TaskHead;
import dev.graft.plugins.trainingkit.testing.TextContext;
import dev.graft.plugins.trainingkit.testing.Texts;
import dev.graft.spi.Backbone;
import dev.graft.spi.BaseModel;
import dev.graft.spi.Example;
import dev.graft.spi.Hyperparameters;
import dev.graft.spi.ModelInput;
import dev.graft.spi.Target;
import dev.graft.spi.Task;
import dev.graft.spi.TaskSpec;
import dev.graft.spi.TrainableBackbone;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Training throughput (sentences/s, forward + backward + update) of Graft's loop against a bare
 * DJL {@link Trainer} loop over the same block — MiniLM, every group trainable, the same
 * sentences, batch size and max_tokens, in the same run. Run with {@code -Dgraft.bench=true}
 * (needs scripts/fetch-assets); prints a Markdown row for docs/benchmarks.md.
 */
class ThroughputBenchmarkTest {
  static final int BATCH = 16;
  static final int STEPS = Integer.getInteger("graft.bench.steps", 20);
  static final String MAX_TOKENS = "64";
  @TempDir Path root;

  @Test
  void graftLoopAgainstBareDjl() throws Exception {
    assumeTrue(Boolean.getBoolean("graft.bench"), "benchmark: run with -Dgraft.bench=true");
    List<Example> all = Texts.assets();
    assumeTrue(all != null, "run scripts/fetch-assets first");
    Collections.shuffle(all, new Random(7));
    List<Example> train = all.subList(0, BATCH * (STEPS + 1));
    String name = System.getProperty("graft.bench.model", "minilm-l6");
    BaseModel base = Texts.builtin(name, root.resolve(name));
    double[] bare = new double[2];
    double[] graft = new double[2];
    try (Backbone backbone = Texts.open(base)) {
      for (int round = 0; round < 2; round++) {
        bare[round] = bare(backbone, train);
        graft[round] = graft(backbone, base, train, all.subList(train.size(), train.size() + 16),
            round);
        System.out.printf(Locale.ROOT, "round %d: bare DJL %.1f sentences/s, Graft %.1f%n",
            round + 1, bare[round], graft[round]);
      }
    }
    double b = Math.max(bare[0], bare[1]);
    double g = Math.max(graft[0], graft[1]);
    System.out.printf(Locale.ROOT, "| %s | %d | %s | %.1f | %.1f | %.2f |%n", name, BATCH,
        MAX_TOKENS, b, g, g / b);
    assertTrue(g > 0 && b > 0);
  }

  /**
   * Sentences per second over steps 2…N of a plain DJL Trainer (AdamW, fixed learning rate, no
   * clipping, schedule, checkpoints or progress) over the same block and head; it tokenises each
   * batch through the same backbone, as Graft's loop does.
   */
  private static double bare(Backbone backbone, List<Example> train) throws Exception {
    try (TrainableBackbone tb = backbone.openTrainable(Device.cpu(), Map.of("max_tokens", MAX_TOKENS));
        Model model = Model.newInstance("bare", Device.cpu(), "PyTorch")) {
      Block head = TaskHead.create(tb.dimension(), 2, 0.1f, tb.manager());
      model.setBlock(new SequentialBlock().add(tb.block()).add(head));
      DefaultTrainingConfig config = new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
          .optOptimizer(Optimizer.adamW().optLearningRateTracker(Tracker.fixed(5e-5f)).build());
      int steps = train.size() / BATCH;
      long start = 0;
      try (Trainer trainer = model.newTrainer(config)) {
        for (int s = 0; s < steps; s++) {
          if (s == 1) {
            start = System.nanoTime();
          }
          List<Example> batch = train.subList(s * BATCH, (s + 1) * BATCH);
          // Every array of the step (inputs, activations, loss) lives in the step's scope.
          try (NDManager scope = tb.manager().newSubManager()) {
            NDList x = tb.inputs(scope, batch.stream().map(Example::input).toList());
            NDArray labels = scope.create(batch.stream().mapToLong(e ->
                ((Target.Label) e.target()).label().equals("positive") ? 1 : 0).toArray());
            try (GradientCollector collector = trainer.newGradientCollector()) {
              NDList out = trainer.forward(x);
              NDArray loss = trainer.getLoss().evaluate(new NDList(labels), out);
              collector.backward(loss);
            }
            trainer.step();
          }
        }
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      return (steps - 1) * BATCH / seconds;
    }
  }

  /** Sentences per second over steps 2…N of one fine-tuning epoch, every group trainable. */
  private static double graft(Backbone backbone, BaseModel base, List<Example> train,
      List<Example> validation, int round) throws Exception {
    TaskSpec task = new TaskSpec(Task.CLASSIFICATION, List.of("negative", "positive"));
    TextContext ctx = new TextContext(Path.of(System.getProperty("java.io.tmpdir")), "job-bench-"
        + round + "-" + System.nanoTime(), backbone, base, task, train, validation,
        new Hyperparameters(1, BATCH, 5e-5f, 0, 0, 7,
            Map.of("unfreeze", "all", "max_tokens", MAX_TOKENS)));
    long[] times = new long[train.size() / BATCH + 1];
    ctx.onStep = step -> times[(int) step] = System.nanoTime();
    new FineTuningStrategy().train(ctx);
    int steps = train.size() / BATCH;
    return (steps - 1) * BATCH / ((times[steps] - times[1]) / 1e9);
  }

  static ModelInput text(String s) {
    return new ModelInput.Text(s);
  }
}
