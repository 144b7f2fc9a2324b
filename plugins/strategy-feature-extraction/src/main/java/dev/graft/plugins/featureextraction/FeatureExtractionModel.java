package dev.graft.plugins.featureextraction;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import dev.graft.plugins.trainingkit.scoring.SeriesTargets;
import dev.graft.spi.Backbone;
import dev.graft.spi.FeatureHead;
import dev.graft.spi.FeatureRequest;
import dev.graft.spi.GraftException;
import dev.graft.spi.LoadContext;
import dev.graft.spi.ModelInput;
import dev.graft.spi.Task;
import java.util.List;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A trained head served on top of a borrowed backbone: features → standardisation → head →
 * softmax probabilities (classification, in the task's label order) or values (regression,
 * forecasting). A {@link FeatureHead}: the server may compute the features for several heads on
 * one backbone at once.
 *
 * <p>Thread-safety: {@link #predict} may run on many threads at once; each call works in its own
 * NDManager scope over read-only weights. {@link #close} waits for running calls, then frees the
 * head's DJL model; later calls fail with FAILED_PRECONDITION. Ownership: the server closes this
 * model; it never closes the backbone.
 */
public final class FeatureExtractionModel implements FeatureHead {
  private final HeadSpec spec;
  private final Backbone backbone;
  private final Model head;
  private final FeatureRequest request;
  private final Standardizer features;
  private final Standardizer targets;
  private final boolean seriesScaling;
  private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
  private boolean closed;

  private FeatureExtractionModel(HeadSpec spec, Backbone backbone, Model head,
      boolean seriesScaling) {
    this.spec = spec;
    this.seriesScaling = seriesScaling;
    this.backbone = backbone;
    this.head = head;
    this.request = spec.features().request();
    this.features = new Standardizer(spec.features().mean(), spec.features().std());
    this.targets = spec.targets() == null
        ? null
        : new Standardizer(spec.targets().mean(), spec.targets().std());
  }

  /**
   * Loads the head stored in {@code context.directory()}.
   *
   * @throws GraftException FAILED_PRECONDITION when the files are missing or inconsistent with
   *     the task, or the engine is missing
   */
  static FeatureExtractionModel load(LoadContext context) {
    HeadSpec spec = HeadSpec.read(context.directory());
    if (spec.task() != context.task().task()) {
      throw GraftException.failedPrecondition(
          "CORRUPT_HEAD",
          "the head was trained for " + spec.task() + ", not " + context.task().task());
    }
    if (spec.task() == Task.CLASSIFICATION && !spec.labels().equals(context.task().labels())) {
      throw GraftException.failedPrecondition(
          "LABELS_MISMATCH",
          "the head's labels " + spec.labels() + " differ from the model's "
              + context.task().labels());
    }
    Model head = HeadWeights.open(context.name(), spec.architecture(), spec.parameters(),
        context.device(), context.directory());
    boolean seriesScaling = "window".equals(context.properties().get(SeriesTargets.SERIES_SCALING));
    return new FeatureExtractionModel(spec, context.backbone(), head, seriesScaling);
  }

  /** What head.json says about this head. */
  public HeadSpec spec() {
    return spec;
  }

  @Override
  public FeatureRequest featureRequest() {
    return request;
  }

  @Override
  public float[][] predict(List<ModelInput> inputs) {
    if (inputs.isEmpty()) {
      return new float[0][];
    }
    return predictFeatures(inputs, backbone.extract(inputs, request));
  }

  @Override
  public float[][] predictFeatures(List<ModelInput> inputs, float[][] rows) {
    if (inputs.isEmpty()) {
      return new float[0][];
    }
    int d = spec.architecture().inputs();
    if (rows == null || rows.length != inputs.size()) {
      throw GraftException.internal("BACKBONE_FAILED", "the backbone returned a wrong batch", null);
    }
    for (float[] row : rows) {
      if (row == null || row.length != d) {
        throw GraftException.failedPrecondition(
            "FEATURE_DIMENSION_MISMATCH",
            "the backbone gives " + (row == null ? 0 : row.length)
                + " features but the head was trained on " + d);
      }
    }
    float[] x = features.applyFlat(rows);
    float[] out = run(x, rows.length, d);
    int k = spec.outputs();
    if (targets != null) {
      targets.invertInPlace(out);
    }
    if (seriesScaling) {
      SeriesTargets series = SeriesTargets.ofInputs(inputs);
      if (series == null) {
        throw GraftException.invalidArgument("inputs", "UNSUPPORTED_INPUT_KIND",
            "this forecasting model reads series; every input must be a series");
      }
      series.unscaleInPlace(out, k);
    }
    float[][] result = new float[rows.length][];
    for (int i = 0; i < rows.length; i++) {
      result[i] = new float[k];
      System.arraycopy(out, i * k, result[i], 0, k);
    }
    return result;
  }

  private float[] run(float[] x, int n, int d) {
    lock.readLock().lock();
    try {
      if (closed) {
        throw GraftException.failedPrecondition("MODEL_CLOSED", "the model has been unloaded");
      }
      try (NDManager scope = head.getNDManager().newSubManager()) {
        NDArray input = scope.create(x, new Shape(n, d));
        NDArray output = head.getBlock()
            .forward(new ParameterStore(scope, false), new NDList(input), false)
            .singletonOrThrow();
        if (spec.task() == Task.CLASSIFICATION) {
          output = output.softmax(1);
        }
        return output.toFloatArray();
      }
    } finally {
      lock.readLock().unlock();
    }
  }

  @Override
  public void close() {
    lock.writeLock().lock();
    try {
      if (!closed) {
        closed = true;
        head.close();
      }
    } finally {
      lock.writeLock().unlock();
    }
  }
}
