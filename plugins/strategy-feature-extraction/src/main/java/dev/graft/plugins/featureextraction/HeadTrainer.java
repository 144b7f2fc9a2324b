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
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterServer;
import ai.djl.training.ParameterStore;
import ai.djl.training.loss.L2Loss;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import dev.graft.spi.CancellationToken;
import dev.graft.spi.GraftException;
import dev.graft.spi.MetricValue;
import dev.graft.spi.ProgressListener;
import java.util.List;
import java.util.Random;

/**
 * Trains the candidate heads of one job on precomputed features with AdamW, seeded shuffled
 * mini-batches and early stopping on the validation loss, keeping each candidate's best epoch.
 * Epochs and steps are numbered on across the candidates of a job (the totals are the budget of
 * all candidates), so progress never goes back and metrics never repeat an epoch.
 *
 * <p>Not thread-safe: one instance per job, used from the training thread. Each call owns the
 * DJL model it creates and closes it before returning; per-batch arrays live in per-batch
 * NDManager scopes.
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
   * loss (validation loss, or training loss without validation) and its weights in DJL's block
   * parameter encoding.
   */
  record Candidate(
      HeadArchitecture architecture,
      int bestEpoch,
      int epochsRun,
      double bestLoss,
      List<MetricValue> metrics,
      byte[] weights) {}

  /**
   * Trains one head on {@code train}, stopping early on {@code validation} (null: train for all
   * epochs and keep the last).
   *
   * @throws GraftException CANCELLED when cancelled; FAILED_PRECONDITION when the loss diverges
   *     or the engine is missing
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
      byte[] bestWeights = null;
      List<MetricValue> bestMetrics = List.of();
      int bestEpoch = 0;
      double bestLoss = Double.POSITIVE_INFINITY;
      // DJL's Trainer is not used: its first-step check ("gradients all zero") misfires on a
      // zero-initialised softmax head, whose gradients sum to zero by construction.
      try (ParameterServer server = engine.newParameterServer(optimizer())) {
        ParameterStore store = new ParameterStore(model.getNDManager(), false);
        store.setParameterServer(server, new Device[] {device});
        int[] order = identity(n);
        for (int local = 1; local <= settings.epochs(); local++) {
          int epoch = ++epochsDone;
          shuffle(order, shuffle);
          double lossSum = 0;
          for (int from = 0; from < n; from += batch) {
            cancellation.throwIfCancelled();
            int to = Math.min(n, from + batch);
            float value = trainStep(engine, block, store, loss, train, order, from, to);
            lossSum += (double) value * (to - from);
            progress.onStep(epoch, totalEpochs, ++stepsDone, totalSteps, value);
          }
          double trainLoss = lossSum / n;
          HeadData scored = validate ? validation : train;
          int k = architecture.outputs();
          Evaluation eval = evaluate(model.getNDManager(), block, store, loss, scored, k);
          List<MetricValue> metrics = EpochMetrics.of(
              epoch, trainLoss, eval.loss(), eval.outputs(), scored, validate, k, targetScale);
          progress.onEpoch(epoch, totalEpochs, metrics);
          double criterion = validate ? eval.loss() : trainLoss;
          if (!validate || criterion < bestLoss - MIN_IMPROVEMENT) {
            bestLoss = validate ? Math.min(bestLoss, criterion) : criterion;
            bestEpoch = epoch;
            bestMetrics = metrics;
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
            "TRAINING_DIVERGED",
            "the validation loss was never finite; try a lower hyperparameters.learning_rate");
      }
      int ran = epochsDone - firstEpoch + 1;
      return new Candidate(
          architecture, bestEpoch, ran, bestLoss, EpochMetrics.asFinal(bestMetrics), bestWeights);
    }
  }

  /** Epochs run so far by all candidates of this job. */
  int epochsRun() {
    return epochsDone;
  }

  private Loss loss() {
    // Regression: mean squared error on standardised targets (DJL's default L2 weight is 1/2).
    return targetScale == null ? Loss.softmaxCrossEntropyLoss() : new L2Loss("loss", 1f);
  }

  private Optimizer optimizer() {
    return Optimizer.adamW()
        .optLearningRateTracker(Tracker.fixed(settings.learningRate()))
        .optWeightDecays(settings.weightDecay())
        .build();
  }

  private float trainStep(
      Engine engine, Block block, ParameterStore store, Loss loss, HeadData data, int[] order,
      int from, int to) {
    float value;
    try (NDManager batch = store.getManager().newSubManager()) {
      NDArray x = data.featureBatch(batch, order, from, to);
      NDArray y = data.targetBatch(batch, order, from, to);
      try (GradientCollector collector = engine.newGradientCollector()) {
        NDArray prediction = block.forward(store, new NDList(x), true).singletonOrThrow();
        NDArray l = loss.evaluate(new NDList(y), new NDList(prediction));
        collector.backward(l);
        value = l.getFloat();
      }
      if (!Float.isFinite(value)) {
        throw GraftException.failedPrecondition(
            "TRAINING_DIVERGED",
            "the training loss became " + value + "; try a lower hyperparameters.learning_rate");
      }
      store.updateAllParameters();
    }
    return value;
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
