package dev.graft.plugins.trainingkit;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterServer;
import ai.djl.training.ParameterStore;
import ai.djl.training.loss.Loss;
import dev.graft.spi.CancellationToken;
import dev.graft.spi.GraftException;
import dev.graft.spi.MetricValue;
import dev.graft.spi.ParameterGroup;
import dev.graft.spi.ProgressListener;
import dev.graft.spi.TrainableBackbone;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * The training loop both backbone-training strategies run: seeded shuffled mini-batches through
 * the backbone block and the task head under a gradient collector, global-norm gradient clipping,
 * AdamW with a per-group learning rate (warm-up then decay), the groups a {@link GroupPlan}
 * freezes or unfreezes per epoch, per-step progress and cancellation checks, per-epoch metrics on
 * the validation split, a checkpoint per epoch ({@code last/}, and {@code best/} when the
 * validation score improves) and early stopping. A step whose loss or gradient is not finite is
 * skipped ({@link NonFiniteGuard}); {@code max_non_finite_steps} in a row fail the job with
 * {@code NON_FINITE_GRADIENTS}, naming the parameter.
 *
 * <p>Memory: every batch's arrays (inputs, activations, losses, gradient views) live in a
 * sub-manager of the backbone's manager that is closed after the batch; only the parameters and
 * the optimizer's moments ({@link OwnedAdam}) outlive a step, and the moments are freed when
 * {@link #train} returns or throws. Not thread-safe: one instance per job, on its training
 * thread; it owns nothing it did not create (the backbone and the head belong to the caller).
 */
final class TransferTrainer {
  static final String ENGINE = "PyTorch";
  private static final int EVAL_BATCH_SIZE = 64;

  private final TransferSettings settings;
  private final GroupPlan plan;
  private final TrainableBackbone backbone;
  private final Block head;
  private final Device device;
  private final ProgressListener progress;
  private final CancellationToken cancellation;
  private final Checkpoints checkpoints;
  private final CheckpointState.Identity identity;
  private final List<ParameterGroup> groups;
  private final List<Parameter> headParameters;
  private final List<Map.Entry<String, Parameter>> named;
  private final NonFiniteGuard guard;
  private String lastNonFinite = "";
  private long stepsRun;

  TransferTrainer(TransferSettings settings, GroupPlan plan, TrainableBackbone backbone, Block head,
      Device device, ProgressListener progress, CancellationToken cancellation,
      Checkpoints checkpoints, CheckpointState.Identity identity) {
    this.settings = settings;
    this.plan = plan;
    this.backbone = backbone;
    this.head = head;
    this.device = device;
    this.progress = progress;
    this.cancellation = cancellation;
    this.checkpoints = checkpoints;
    this.identity = identity;
    this.groups = backbone.groups();
    this.headParameters = List.copyOf(head.getParameters().values());
    this.named = named(groups, head);
    this.guard = new NonFiniteGuard(settings.maxNonFiniteSteps(), progress, () -> lastNonFinite);
  }

  /** The best epoch (0 when no epoch ran and none was resumed) and how many epochs ran here. */
  record Result(int bestEpoch, int epochsRun, List<MetricValue> bestMetrics, long[] bestConfusion) {}

  /**
   * Trains from the state after {@code resumed} (null: from the start) up to the last epoch or
   * an early stop.
   *
   * @throws GraftException CANCELLED when cancelled; FAILED_PRECONDITION NON_FINITE_GRADIENTS
   *     when too many steps in a row are not finite; INVALID_ARGUMENT naming {@code train.examples[i].input} for an unreadable input
   */
  Result train(LabelledData train, LabelledData validation, CheckpointState resumed) {
    Engine engine = engine();
    int n = train.size();
    int batch = Math.min(settings.batchSize(), n);
    int stepsPerEpoch = (n + batch - 1) / batch;
    long totalSteps = (long) settings.epochs() * stepsPerEpoch;
    LearningRates rates = new LearningRates(settings, totalSteps, scales());
    Loss loss = train.classification() ? Loss.softmaxCrossEntropyLoss() : new MeanSquaredLoss();
    LabelledData scored = validation != null ? validation : train;
    int firstEpoch = resumed == null ? 1 : resumed.epoch() + 1;
    long step = resumed == null ? 0 : resumed.step();
    int bestEpoch = resumed == null ? 0 : resumed.bestEpoch();
    double bestScore = resumed == null ? Double.NEGATIVE_INFINITY : resumed.bestScore();
    double bestLoss = resumed == null ? Double.POSITIVE_INFINITY : resumed.bestLoss();
    List<MetricValue> bestMetrics = resumed == null ? List.of() : resumed.bestMetrics();
    long[] bestConfusion = resumed == null ? null : resumed.bestConfusion();
    int ran = 0;
    try (OwnedAdam optimizer = OwnedAdam.adamW(rates, settings.weightDecay(), backbone.manager());
        ParameterServer server = engine.newParameterServer(optimizer)) {
      ParameterStore store = new ParameterStore(backbone.manager(), false);
      store.setParameterServer(server, new Device[] {device});
      int trainingGroups = -1;
      for (int epoch = firstEpoch; epoch <= settings.epochs(); epoch++) {
        int now = plan.trainable(groups.size(), epoch);
        if (now != trainingGroups) {
          applyPlan(epoch);
          trainingGroups = now;
        }
        List<Parameter> trainable = trainableParameters();
        int[] order = shuffled(n, new Random(settings.seed() * 1_000_003L + epoch));
        double lossSum = 0;
        int lossCount = 0;
        for (int from = 0; from < n; from += batch) {
          cancellation.throwIfCancelled();
          int to = Math.min(n, from + batch);
          rates.step(++step);
          float value = step(engine, store, loss, train, order, from, to, trainable);
          stepsRun++;
          if (guard.accept(value, step)) {
            lossSum += (double) value * (to - from);
            lossCount += to - from;
          }
          progress.onStep(epoch, settings.epochs(), step, totalSteps, value);
        }
        ran++;
        float[] outputs = new float[scored.size() * scored.outputs()];
        double scoredLoss = evaluate(store, loss, scored, outputs);
        EpochMetrics.Result r = EpochMetrics.of(
            epoch, lossCount > 0 ? lossSum / lossCount : Double.NaN, scoredLoss, outputs, scored,
            validation != null);
        progress.onEpoch(epoch, settings.epochs(), r.metrics());
        boolean improved = bestEpoch == 0 || r.score() > bestScore + 1e-9
            || (Math.abs(r.score() - bestScore) <= 1e-9 && r.loss() < bestLoss);
        if (improved) {
          bestEpoch = epoch;
          bestScore = r.score();
          bestLoss = r.loss();
          bestMetrics = r.metrics();
          bestConfusion = r.confusion();
        }
        checkpoint(new CheckpointState(identity, epoch, step, bestEpoch, bestScore, bestLoss,
            bestMetrics, bestConfusion), improved);
        if (!improved && epoch - bestEpoch >= settings.patience()) {
          progress.onMessage("early stopping after epoch " + epoch + ": the validation score has"
              + " not improved since epoch " + bestEpoch);
          break;
        }
      }
    }
    return new Result(bestEpoch, ran, bestMetrics, bestConfusion);
  }

  /** Optimizer steps taken by this trainer (not counting a resumed run's). */
  long stepsRun() {
    return stepsRun;
  }

  private float step(Engine engine, ParameterStore store, Loss loss, LabelledData data,
      int[] order, int from, int to, List<Parameter> trainable) {
    try (NDManager scope = backbone.manager().newSubManager()) {
      NDList in = inputs(scope, data, order, from, to, true);
      NDArray y = data.targets(scope, order, from, to);
      float value;
      try (SharedCollector collector = SharedCollector.open(engine)) {
        NDArray features = backbone.block().forward(store, in, true).head();
        NDArray out = head.forward(store, new NDList(features), true).singletonOrThrow();
        NDArray l = loss.evaluate(new NDList(y), new NDList(out));
        collector.backward(l);
        value = l.getFloat();
      }
      if (!Float.isFinite(value)) {
        lastNonFinite = NonFiniteGuard.culprit(named);
        NonFiniteGuard.zeroGradients(trainable);
        return value;
      }
      double norm = GradientClipper.clip(trainable, settings.clipNorm(), scope);
      if (!Double.isFinite(norm)) {
        lastNonFinite = NonFiniteGuard.culprit(named);
        NonFiniteGuard.zeroGradients(trainable);
        return Float.NaN;
      }
      store.updateAllParameters();
      return value;
    }
  }

  /** Every parameter named "group/parameter" (the head's "head/…"), bottom group first. */
  private static List<Map.Entry<String, Parameter>> named(List<ParameterGroup> groups,
      Block head) {
    List<Map.Entry<String, Parameter>> named = new ArrayList<>();
    for (ParameterGroup g : groups) {
      for (Parameter p : g.parameters()) {
        named.add(Map.entry(g.name() + "/" + p.getName(), p));
      }
    }
    for (Parameter p : head.getParameters().values()) {
      named.add(Map.entry("head/" + p.getName(), p));
    }
    return List.copyOf(named);
  }

  private double evaluate(ParameterStore store, Loss loss, LabelledData data, float[] outputs) {
    // No parameter records gradients while evaluating, whatever the thread's autograd mode: the
    // forward passes build no graph.
    List<Parameter> trainable = trainableParameters();
    trainable.forEach(p -> p.freeze(true));
    try {
      return scoreAll(store, loss, data, outputs);
    } finally {
      trainable.forEach(p -> p.freeze(false));
    }
  }

  private double scoreAll(ParameterStore store, Loss loss, LabelledData data, float[] outputs) {
    int n = data.size();
    int k = data.outputs();
    int[] order = shuffled(n, null);
    double lossSum = 0;
    for (int from = 0; from < n; from += EVAL_BATCH_SIZE) {
      cancellation.throwIfCancelled();
      int to = Math.min(n, from + EVAL_BATCH_SIZE);
      try (NDManager scope = backbone.manager().newSubManager()) {
        NDList in = inputs(scope, data, order, from, to, false);
        NDArray features = backbone.block().forward(store, in, false).head();
        NDArray out = head.forward(store, new NDList(features), false).singletonOrThrow();
        NDArray l = loss.evaluate(new NDList(data.targets(scope, order, from, to)), new NDList(out));
        lossSum += (double) l.getFloat() * (to - from);
        System.arraycopy(out.toFloatArray(), 0, outputs, from * k, (to - from) * k);
      }
    }
    return lossSum / n;
  }

  private NDList inputs(NDManager scope, LabelledData data, int[] order, int from, int to,
      boolean training) {
    try {
      return backbone.inputs(scope, data.inputs(order, from, to), training);
    } catch (GraftException e) {
      throw InputFields.rename(e, i -> order[from + i], data.split() + ".examples[", "].input");
    }
  }

  private void applyPlan(int epoch) {
    List<String> names = new ArrayList<>();
    for (int g = 0; g < groups.size(); g++) {
      boolean trains = plan.trains(g, groups.size(), epoch);
      groups.get(g).freeze(!trains);
      if (trains) {
        names.add(groups.get(g).name());
      }
    }
    progress.onMessage("epoch " + epoch + ": training the head"
        + (names.isEmpty() ? " only" : " and " + String.join(", ", names)));
  }

  private List<Parameter> trainableParameters() {
    List<Parameter> out = new ArrayList<>(headParameters);
    for (ParameterGroup g : groups) {
      for (Parameter p : g.parameters()) {
        if (p.requiresGradient()) {
          out.add(p);
        }
      }
    }
    return out;
  }

  private Map<String, Float> scales() {
    Map<String, Float> scales = new HashMap<>();
    for (int g = 0; g < groups.size(); g++) {
      float scale = plan.scale(g, groups.size());
      for (Parameter p : groups.get(g).parameters()) {
        scales.put(p.getId(), scale);
      }
    }
    for (Parameter p : headParameters) {
      scales.put(p.getId(), settings.headScale());
    }
    return scales;
  }

  private void checkpoint(CheckpointState state, boolean best) {
    try {
      checkpoints.saveLast(backbone, head, state);
      if (best) {
        checkpoints.promoteLast();
      }
    } catch (IOException e) {
      throw GraftException.internal("CHECKPOINT_FAILED",
          "cannot write the checkpoint of epoch " + state.epoch() + ": " + e.getMessage(), e);
    }
    progress.onMessage(String.format(Locale.ROOT, "checkpoint of epoch %d saved%s", state.epoch(),
        best ? " (best so far)" : ""));
  }

  static Engine engine() {
    try {
      return Engine.getEngine(ENGINE);
    } catch (RuntimeException e) {
      throw GraftException.failedPrecondition(
          "ENGINE_UNAVAILABLE", "the " + ENGINE + " engine is not available: " + e.getMessage());
    }
  }

  /** 0…n−1, shuffled by {@code random} (in order when it is null). */
  private static int[] shuffled(int n, Random random) {
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    if (random != null) {
      for (int i = n - 1; i > 0; i--) {
        int j = random.nextInt(i + 1);
        int t = order[i];
        order[i] = order[j];
        order[j] = t;
      }
    }
    return order;
  }
}
