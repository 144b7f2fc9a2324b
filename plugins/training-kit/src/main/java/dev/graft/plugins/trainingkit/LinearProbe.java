package dev.graft.plugins.trainingkit;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterServer;
import ai.djl.training.ParameterStore;
import ai.djl.training.loss.Loss;
import ai.djl.training.tracker.Tracker;
import dev.graft.spi.CancellationToken;
import dev.graft.spi.GraftException;
import dev.graft.spi.ParameterGroup;
import dev.graft.spi.ProgressListener;
import dev.graft.spi.TrainableBackbone;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Fits the fresh task head on the frozen backbone's features before the backbone trains
 * ("linear probing, then fine-tuning"): one inference pass computes the pooled features of both
 * splits, then the head alone trains on them with Adam (learning rate 1e-3, mini-batches of 32)
 * and early stopping on the validation loss, keeping its best epoch. The backbone then starts
 * from a head that already separates the classes, instead of a random one whose gradients would
 * first disturb the pretrained features.
 *
 * <p>Not thread-safe: one job's training thread. Every array it makes lives in a per-chunk or
 * per-batch scope of the backbone's manager, or in a scope it closes before returning (the
 * optimizer's moments included: {@link OwnedAdam}).
 */
final class LinearProbe {
  static final int MAX_EPOCHS = 100;
  static final int PATIENCE = 8;
  static final int BATCH = 32;
  static final float LEARNING_RATE = 1e-3f;
  private static final int CHUNK = 64;

  private final TrainableBackbone backbone;
  private final Block head;
  private final Device device;
  private final ProgressListener progress;
  private final CancellationToken cancellation;

  LinearProbe(TrainableBackbone backbone, Block head, Device device, ProgressListener progress,
      CancellationToken cancellation) {
    this.backbone = backbone;
    this.head = head;
    this.device = device;
    this.progress = progress;
    this.cancellation = cancellation;
  }

  /** Fits the head; the backbone's groups are left frozen (the training loop sets them). */
  void fit(LabelledData train, LabelledData validation, long seed) {
    for (ParameterGroup g : backbone.groups()) {
      g.freeze(true);
    }
    int d = backbone.dimension();
    float[] x = features(train);
    LabelledData scored = validation != null ? validation : train;
    float[] vx = validation != null ? features(validation) : x;
    Engine engine = TransferTrainer.engine();
    Loss loss = train.classification() ? Loss.softmaxCrossEntropyLoss() : new MeanSquaredLoss();
    List<Parameter> params = List.copyOf(head.getParameters().values());
    List<float[]> best = snapshot(params);
    double bestLoss = Double.POSITIVE_INFINITY;
    int bestEpoch = 0;
    Random random = new Random(seed);
    int n = train.size();
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    try (NDManager manager = backbone.manager().newSubManager();
        OwnedAdam adam = OwnedAdam.adam(Tracker.fixed(LEARNING_RATE), manager);
        ParameterServer server = engine.newParameterServer(adam)) {
      ParameterStore store = new ParameterStore(manager, false);
      store.setParameterServer(server, new Device[] {device});
      for (int epoch = 1; epoch <= MAX_EPOCHS; epoch++) {
        cancellation.throwIfCancelled();
        shuffle(order, random);
        for (int from = 0; from < n; from += BATCH) {
          int to = Math.min(n, from + BATCH);
          try (NDManager scope = manager.newSubManager()) {
            NDArray features = rows(scope, x, d, order, from, to);
            NDArray y = train.targets(scope, order, from, to);
            try (SharedCollector collector = SharedCollector.open(engine)) {
              NDArray out = head.forward(store, new NDList(features), true).singletonOrThrow();
              collector.backward(loss.evaluate(new NDList(y), new NDList(out)));
            }
            store.updateAllParameters();
          }
        }
        double validationLoss = validationLoss(manager, store, loss, scored, vx, d);
        if (validationLoss < bestLoss - 1e-4) {
          bestLoss = validationLoss;
          bestEpoch = epoch;
          best = snapshot(params);
        } else if (epoch - bestEpoch >= PATIENCE) {
          break;
        }
      }
    }
    restore(params, best);
    progress.onMessage(String.format(Locale.ROOT, "linear probe: the head fitted the frozen"
        + " features in %d epochs (%s loss %.4f)", bestEpoch,
        validation != null ? "validation" : "training", bestLoss));
  }

  private float[] features(LabelledData data) {
    int n = data.size();
    int d = backbone.dimension();
    float[] out = new float[n * d];
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    for (int from = 0; from < n; from += CHUNK) {
      cancellation.throwIfCancelled();
      int to = Math.min(n, from + CHUNK);
      try (NDManager scope = backbone.manager().newSubManager()) {
        NDList in;
        try {
          in = backbone.inputs(scope, data.inputs(order, from, to), false);
        } catch (GraftException e) {
          int offset = from;
          throw InputFields.rename(e, i -> offset + i, data.split() + ".examples[", "].input");
        }
        float[] f = backbone.block().forward(new ParameterStore(scope, false), in, false).head()
            .toFloatArray();
        System.arraycopy(f, 0, out, from * d, f.length);
      }
      progress.onMessage(String.format(Locale.ROOT, "linear probe: features of %s %d/%d",
          data.split(), to, n));
    }
    return out;
  }

  private double validationLoss(NDManager manager, ParameterStore store, Loss loss,
      LabelledData data, float[] x, int d) {
    int n = data.size();
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    try (NDManager scope = manager.newSubManager()) {
      NDArray out = head.forward(store, new NDList(rows(scope, x, d, order, 0, n)), false)
          .singletonOrThrow();
      return loss.evaluate(new NDList(data.targets(scope, order, 0, n)), new NDList(out))
          .getFloat();
    }
  }

  private static NDArray rows(NDManager scope, float[] x, int d, int[] order, int from, int to) {
    float[] batch = new float[(to - from) * d];
    for (int i = from; i < to; i++) {
      System.arraycopy(x, order[i] * d, batch, (i - from) * d, d);
    }
    return scope.create(batch, new Shape(to - from, d));
  }

  private static List<float[]> snapshot(List<Parameter> params) {
    List<float[]> values = new ArrayList<>();
    for (Parameter p : params) {
      values.add(p.getArray().toFloatArray());
    }
    return values;
  }

  private static void restore(List<Parameter> params, List<float[]> values) {
    for (int i = 0; i < params.size(); i++) {
      params.get(i).getArray().set(values.get(i));
    }
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
