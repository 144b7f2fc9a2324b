package dev.graft.plugins.featureextraction;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterServer;
import ai.djl.training.ParameterStore;
import ai.djl.training.loss.Loss;
import ai.djl.training.tracker.Tracker;
import dev.graft.plugins.trainingkit.MeanSquaredLoss;
import dev.graft.plugins.trainingkit.NonFiniteGuard;
import dev.graft.plugins.trainingkit.OwnedAdam;
import dev.graft.plugins.trainingkit.SharedCollector;
import dev.graft.plugins.trainingkit.scoring.Scores;
import dev.graft.spi.CancellationToken;
import dev.graft.spi.GraftException;
import dev.graft.spi.MetricValue;
import dev.graft.spi.ProgressListener;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Trains the candidate heads of one job on precomputed features with AdamW, seeded shuffled
 * mini-batches and early stopping on the validation loss, keeping each candidate's best epoch.
 * Epochs and steps are numbered on across the candidates of a job (the totals are the budget of
 * all candidates), so progress never goes back and metrics never repeat an epoch. A step whose
 * loss or gradient is not finite is skipped and counted ({@link NonFiniteGuard}); too many in a
 * row fail the job with {@code NON_FINITE_GRADIENTS}, naming the parameter.
 *
 * <p>Not thread-safe: one instance per job, used from the training thread. Each call owns the
 * DJL model it creates and the optimizer state ({@link OwnedAdam}) and closes both before
 * returning, however it returns; per-batch arrays live in per-batch NDManager scopes.
 */
final class HeadTrainer {
  /** The DJL engine heads run on. */
  static final String ENGINE = "PyTorch";
  /** A validation loss must fall by more than this to count as an improvement. */
  static final double MIN_IMPROVEMENT = 1e-4;
  private static final int EVAL_BATCH_SIZE = 256;

  private final TrainingSettings settings;
  private final Standardizer targetScale;
  private final Device device;
  private final ProgressListener progress;
  private final CancellationToken cancellation;
  private final int totalEpochs;
  private int epochsDone;
  private long stepsDone;
  private String lastNonFinite = "";

  /**
   * @param targetScale the regression targets' standardisation, or null for classification
   * @param candidates how many heads this job trains (sizes the progress totals)
   */
  HeadTrainer(
      TrainingSettings settings,
      Standardizer targetScale,
      Device device,
      ProgressListener progress,
      CancellationToken cancellation,
      int candidates) {
    this.settings = settings;
    this.targetScale = targetScale;
    this.device = device;
    this.progress = progress;
    this.cancellation = cancellation;
    this.totalEpochs = settings.epochs() * candidates;
  }

  /**
   * A trained candidate: its kept epoch (numbered across the job), that epoch's metrics and
   * loss (validation loss, or training loss without validation), its weights in DJL's block
   * parameter encoding, and for classification that epoch's confusion counts on the scored split
   * (row-major true × predicted; null otherwise).
   */
  record Candidate(
      HeadArchitecture architecture,
      int bestEpoch,
      int epochsRun,
      double bestLoss,
      List<MetricValue> metrics,
      byte[] weights,
      long[] confusion) {}

  /**
   * Trains one head on {@code train}, stopping early on {@code validation} (null: train for all
   * epochs and keep the last).
   *
   * @throws GraftException CANCELLED when cancelled; FAILED_PRECONDITION NON_FINITE_GRADIENTS
   *     after {@code max_non_finite_steps} non-finite steps in a row, NON_FINITE_LOSS when the
   *     validation loss is never finite, ENGINE_UNAVAILABLE without the engine
   */
  Candidate train(HeadArchitecture architecture, HeadData train, HeadData validation) {
    boolean validate = validation != null && validation.size() > 0;
    Engine engine = engine();
    // Seeded per candidate, so each head is reproducible whatever was trained before it.
    engine.setRandomSeed(Long.hashCode(settings.seed()));
    Random shuffle = new Random(settings.seed());
    int n = train.size();
    int batch = Math.min(settings.batchSize(), n);
    int stepsPerEpoch = (n + batch - 1) / batch;
    long totalSteps = (long) totalEpochs * stepsPerEpoch;
    int firstEpoch = epochsDone + 1;
    try (Model model = Model.newInstance("feature-extraction-head", device, ENGINE)) {
      model.setBlock(architecture.newBlock());
      Block block = model.getBlock();
      block.initialize(
          model.getNDManager(), DataType.FLOAT32, new Shape(1, architecture.inputs()));
      Loss loss = loss();
      List<Map.Entry<String, Parameter>> named = named(block);
      NonFiniteGuard guard =
          new NonFiniteGuard(settings.maxNonFiniteSteps(), progress, () -> lastNonFinite);
      byte[] bestWeights = null;
      List<MetricValue> bestMetrics = List.of();
      long[] bestConfusion = null;
      int bestEpoch = 0;
      double bestLoss = Double.POSITIVE_INFINITY;
      // DJL's Trainer is not used: its first-step check ("gradients all zero") misfires on a
      // zero-initialised softmax head, whose gradients sum to zero by construction.
      try (OwnedAdam optimizer = optimizer(model.getNDManager());
          ParameterServer server = engine.newParameterServer(optimizer)) {
        ParameterStore store = new ParameterStore(model.getNDManager(), false);
        store.setParameterServer(server, new Device[] {device});
        int[] order = identity(n);
        // Epochs are reported within this candidate (its phase when there are several); steps
        // count over the whole run.
        for (int epoch = 1; epoch <= settings.epochs(); epoch++) {
          epochsDone++;
          shuffle(order, shuffle);
          double lossSum = 0;
          int counted = 0;
          for (int from = 0; from < n; from += batch) {
            cancellation.throwIfCancelled();
            int to = Math.min(n, from + batch);
            float value = trainStep(engine, block, named, store, loss, train, order, from, to);
            if (guard.accept(value, ++stepsDone)) {
              lossSum += (double) value * (to - from);
              counted += to - from;
            }
            progress.onStep(epoch, settings.epochs(), stepsDone, totalSteps, value);
          }
          double trainLoss = counted > 0 ? lossSum / counted : Double.NaN;
          HeadData scored = validate ? validation : train;
          int k = architecture.outputs();
          Evaluation eval = evaluate(model.getNDManager(), block, store, loss, scored, k);
          List<MetricValue> metrics = EpochMetrics.of(
              epoch, trainLoss, eval.loss(), eval.outputs(), scored, validate, k, targetScale);
          progress.onEpoch(epoch, settings.epochs(), metrics);
          double criterion = validate ? eval.loss() : trainLoss;
          if (!validate || criterion < bestLoss - MIN_IMPROVEMENT) {
            bestLoss = validate ? Math.min(bestLoss, criterion) : criterion;
            bestEpoch = epoch;
            bestMetrics = metrics;
            bestConfusion = scored.classification()
                ? Scores.confusion(Scores.argmax(eval.outputs(), k), scored.classes(), k) : null;
            bestWeights = HeadWeights.snapshot(block);
          } else if (epoch - bestEpoch >= settings.patience()) {
            progress.onMessage(
                "early stopping " + architecture.describe() + " after epoch " + epoch
                    + ": validation loss has not improved since epoch " + bestEpoch);
            break;
          }
        }
      }
      if (bestWeights == null) {
        throw GraftException.failedPrecondition(
            "NON_FINITE_LOSS",
            "the " + (validate ? "validation" : "training") + " loss was never finite (are the"
                + " features or targets finite?); try a lower hyperparameters.learning_rate");
      }
      int ran = epochsDone - firstEpoch + 1;
      return new Candidate(
          architecture, bestEpoch, ran, bestLoss, EpochMetrics.asFinal(bestMetrics), bestWeights,
          bestConfusion);
    }
  }

  /** Epochs run so far by all candidates of this job. */
  int epochsRun() {
    return epochsDone;
  }

  private Loss loss() {
    // Regression: mean squared error on standardised targets (not DJL's L2Loss: its number
    // operand corrupts the gradient when a GC runs mid-step; see MeanSquaredLoss).
    return targetScale == null ? Loss.softmaxCrossEntropyLoss() : new MeanSquaredLoss();
  }

  private OwnedAdam optimizer(NDManager manager) {
    return OwnedAdam.adamW(
        Tracker.fixed(settings.learningRate()), settings.weightDecay(), manager);
  }

  /**
   * One step; its loss, or NaN when its loss or a gradient was not finite (then the gradients
   * are zeroed and no weight changes).
   */
  private float trainStep(
      Engine engine, Block block, List<Map.Entry<String, Parameter>> named, ParameterStore store,
      Loss loss, HeadData data, int[] order, int from, int to) {
    float value;
    try (NDManager batch = store.getManager().newSubManager()) {
      NDArray x = data.featureBatch(batch, order, from, to);
      NDArray y = data.targetBatch(batch, order, from, to);
      try (SharedCollector collector = SharedCollector.open(engine)) {
        NDArray prediction = block.forward(store, new NDList(x), true).singletonOrThrow();
        NDArray l = loss.evaluate(new NDList(y), new NDList(prediction));
        collector.backward(l);
        value = l.getFloat();
      }
      String bad = NonFiniteGuard.culprit(named);
      if (!Float.isFinite(value) || !bad.isEmpty()) {
        lastNonFinite = bad;
        NonFiniteGuard.zeroGradients(named.stream().map(Map.Entry::getValue).toList());
        return Float.NaN;
      }
      store.updateAllParameters();
    }
    return value;
  }

  /** The head's parameters named "head/NAME", in block order. */
  private static List<Map.Entry<String, Parameter>> named(Block block) {
    List<Map.Entry<String, Parameter>> named = new ArrayList<>();
    block.getParameters().forEach(p -> named.add(Map.entry("head/" + p.getKey(), p.getValue())));
    return List.copyOf(named);
  }

  /** Outputs (logits or standardised values) for all of {@code data} in inference mode. */
  private record Evaluation(double loss, float[] outputs) {}

  private Evaluation evaluate(
      NDManager manager, Block block, ParameterStore store, Loss loss, HeadData data, int k) {
    int n = data.size();
    int[] order = identity(n);
    float[] outputs = new float[n * k];
    double lossSum = 0;
    for (int from = 0; from < n; from += EVAL_BATCH_SIZE) {
      cancellation.throwIfCancelled();
      int to = Math.min(n, from + EVAL_BATCH_SIZE);
      try (NDManager batch = manager.newSubManager()) {
        NDArray x = data.featureBatch(batch, order, from, to);
        NDArray y = data.targetBatch(batch, order, from, to);
        NDArray prediction = block.forward(store, new NDList(x), false).singletonOrThrow();
        NDArray l = loss.evaluate(new NDList(y), new NDList(prediction));
        lossSum += (double) l.getFloat() * (to - from);
        System.arraycopy(prediction.toFloatArray(), 0, outputs, from * k, (to - from) * k);
      }
    }
    return new Evaluation(lossSum / n, outputs);
  }

  static Engine engine() {
    try {
      return Engine.getEngine(ENGINE);
    } catch (RuntimeException e) {
      throw GraftException.failedPrecondition(
          "ENGINE_UNAVAILABLE", "the " + ENGINE + " engine is not available: " + e.getMessage());
    }
  }

  private static int[] identity(int n) {
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    return order;
  }

  private static void shuffle(int[] order, Random random) {
    for (int i = order.length - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
  }
}
