package dev.graft.plugins.trainingkit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import dev.graft.plugins.trainingkit.scoring.SeriesTargets;
import dev.graft.spi.GraftException;
import dev.graft.spi.LoadContext;
import dev.graft.spi.ModelInput;
import dev.graft.spi.ParameterGroup;
import dev.graft.spi.Task;
import dev.graft.spi.TaskSpec;
import dev.graft.spi.TrainableBackbone;
import dev.graft.spi.TrainedModel;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A model whose backbone was trained (knowledge transfer, fine-tuning), loaded for serving: the
 * base model's trainable backbone reopened with the stored options and weights, frozen, and the
 * stored head; inputs go through both in inference mode in chunks of {@value #CHUNK}; outputs are
 * softmax probabilities in label order, or values on the targets' scale.
 *
 * <p>Thread-safety: {@link #predict} may run on many threads at once, each chunk in its own
 * scope over read-only weights. Ownership: the server closes it; that closes its own backbone
 * copy (never the borrowed base backbone).
 */
public final class TransferModel implements TrainedModel {
  static final int CHUNK = 32;

  private final TransferSpec spec;
  private final TrainableBackbone backbone;
  private final Block head;
  private final boolean seriesScaling;
  private final TargetScale scale;
  private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
  private boolean closed;

  private TransferModel(TransferSpec spec, TrainableBackbone backbone, Block head,
      boolean seriesScaling) {
    this.seriesScaling = seriesScaling;
    this.spec = spec;
    this.backbone = backbone;
    this.head = head;
    this.scale = spec.targetMean() == null ? null
        : new TargetScale(spec.targetMean(), spec.targetStd());
  }

  /**
   * Loads the model stored in {@code context.directory()}.
   *
   * @throws GraftException FAILED_PRECONDITION when its files are missing or do not fit the
   *     base model
   */
  public static TransferModel load(LoadContext context) {
    Path dir = context.directory();
    TransferSpec spec = TransferSpec.read(dir);
    TaskSpec task = context.task();
    if (spec.task() != task.task()
        || (task.task() == Task.CLASSIFICATION && !spec.labels().equals(task.labels()))) {
      throw TransferSpec.corrupt("the stored head was trained for " + spec.task() + " "
          + spec.labels() + ", not " + task.task() + " " + task.labels());
    }
    TrainableBackbone backbone =
        context.backbone().openTrainable(context.device(), spec.backboneOptions());
    try {
      if (backbone.dimension() != spec.features()) {
        throw TransferSpec.corrupt("the base model yields " + backbone.dimension()
            + " features; the head was trained on " + spec.features());
      }
      try (InputStream in = new BufferedInputStream(
          Files.newInputStream(dir.resolve(TransferSpec.ENCODER)), 1 << 20)) {
        backbone.loadParameters(in);
      }
      Block head = TaskHead.create(spec.features(), spec.outputs(), spec.headDropout(),
          backbone.manager());
      try (InputStream in = Files.newInputStream(dir.resolve(TransferSpec.HEAD))) {
        TaskHead.load(head, backbone.manager(), in);
      }
      for (ParameterGroup g : backbone.groups()) {
        g.freeze(true);
      }
      for (Parameter p : head.getParameters().values()) {
        p.freeze(true);
      }
      return new TransferModel(spec, backbone, head,
          "window".equals(context.properties().get(SeriesTargets.SERIES_SCALING)));
    } catch (IOException | RuntimeException e) {
      backbone.close();
      if (e instanceof GraftException g) {
        throw g;
      }
      throw TransferSpec.corrupt("cannot load the model's weights: " + e.getMessage());
    }
  }

  /** What transfer.json says about this model. */
  public TransferSpec spec() {
    return spec;
  }

  @Override
  public float[][] predict(List<ModelInput> inputs) {
    lock.readLock().lock();
    try {
      if (closed) {
        throw GraftException.failedPrecondition("MODEL_CLOSED", "the model has been unloaded");
      }
      int k = spec.outputs();
      float[][] result = new float[inputs.size()][];
      for (int from = 0; from < inputs.size(); from += CHUNK) {
        int to = Math.min(inputs.size(), from + CHUNK);
        float[] out = run(inputs.subList(from, to), from);
        for (int i = from; i < to; i++) {
          result[i] = new float[k];
          System.arraycopy(out, (i - from) * k, result[i], 0, k);
        }
      }
      return result;
    } finally {
      lock.readLock().unlock();
    }
  }

  private float[] run(List<ModelInput> chunk, int offset) {
    try (NDManager scope = backbone.manager().newSubManager()) {
      NDList in;
      try {
        in = backbone.inputs(scope, chunk, false);
      } catch (GraftException e) {
        throw InputFields.rename(e, i -> offset + i, "inputs[", "]");
      }
      ParameterStore store = new ParameterStore(scope, false);
      NDArray features = backbone.block().forward(store, in, false).head();
      NDArray out = head.forward(store, new NDList(features), false).singletonOrThrow();
      if (spec.task() == Task.CLASSIFICATION) {
        return out.softmax(1).toFloatArray();
      }
      float[] values = scale.invert(out.toFloatArray());
      if (seriesScaling) {
        SeriesTargets series = SeriesTargets.ofInputs(chunk);
        if (series == null) {
          throw GraftException.invalidArgument("inputs", "UNSUPPORTED_INPUT_KIND",
              "this forecasting model reads series; every input must be a series");
        }
        series.unscaleInPlace(values, spec.outputs());
      }
      return values;
    }
  }

  @Override
  public void close() {
    lock.writeLock().lock();
    try {
      if (!closed) {
        closed = true;
        backbone.close();
      }
    } finally {
      lock.writeLock().unlock();
    }
  }
}
