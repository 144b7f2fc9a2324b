package dev.graft.plugins.timeseries.pretrain;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import dev.graft.plugins.timeseries.encoder.WindowScaler;
import java.util.List;

/**
 * Trains a {@link ForecastNetwork} on windows (context + horizon, univariate): each window is
 * scaled by its context's statistics, the loss is the mean absolute error of the scaled forecast,
 * the optimiser Adam with gradient clipping. Not thread-safe; one per training run.
 */
public final class ForecastTraining {
  private final ForecastNetwork network;
  private final Optimizer optimizer;

  public ForecastTraining(ForecastNetwork network, float learningRate, float weightDecay) {
    this.network = network;
    this.optimizer = Optimizer.adam()
        .optLearningRateTracker(Tracker.fixed(learningRate))
        .optWeightDecays(weightDecay)
        .optClipGrad(1f)
        .build();
  }

  /**
   * One optimiser step on {@code windows} (each {@code context + horizon} long, the context first).
   *
   * @return the batch loss; NaN when the step was skipped (a non-finite loss or gradient)
   */
  public float step(List<float[]> windows) {
    int c = network.encoder().config().context();
    int h = network.horizon();
    int n = windows.size();
    float[] x = new float[n * c];
    float[] y = new float[n * h];
    for (int i = 0; i < n; i++) {
      float[] w = windows.get(i);
      float[] ctx = java.util.Arrays.copyOfRange(w, 0, w.length - h);
      float[] context = WindowScaler.lastWindow(ctx, 1, 0, c);
      WindowScaler.Stats s = WindowScaler.stats(context);
      System.arraycopy(WindowScaler.apply(context, s), 0, x, i * c, c);
      for (int k = 0; k < h; k++) {
        y[i * h + k] = s.scale(w[w.length - h + k]);
      }
    }
    for (float v : x) {
      if (!Float.isFinite(v)) {
        throw new IllegalStateException("non-finite scaled context");
      }
    }
    for (float v : y) {
      if (!Float.isFinite(v)) {
        throw new IllegalStateException("non-finite scaled target");
      }
    }
    NDManager base = network.encoder().manager();
    try (NDManager scope = base.newSubManager()) {
      NDArray loss;
      try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
        NDArray pred = network.forward(scope, scope.create(x, new Shape(n, c)), true);
        // Clip scaled targets so that a window with a sudden jump cannot dominate a step.
        NDArray target = scope.create(y, new Shape(n, h)).clip(-20f, 20f);
        loss = pred.sub(target).abs().mean();
        gc.backward(loss);
      }
      float value = loss.getFloat();
      List<Parameter> trained = new java.util.ArrayList<>();
      for (Parameter p : network.parameters()) {
        if (p.getArray().hasGradient() && p.requiresGradient()) {
          trained.add(p);
        }
      }
      boolean finite = Float.isFinite(value);
      for (int i = 0; finite && i < trained.size(); i++) {
        NDArray g = trained.get(i).getArray().getGradient();
        finite = !g.isNaN().logicalOr(g.isInfinite()).any().getBoolean();
      }
      for (Parameter p : trained) {
        NDArray w = p.getArray();
        NDArray g = w.getGradient();
        if (finite) {
          optimizer.update(p.getId(), w, g);
          g.subi(g);
        } else {
          // A batch with a non-finite loss or gradient is skipped; its gradients are reset
          // (x - x would stay NaN).
          g.set(new float[Math.toIntExact(g.size())]);
        }
      }
      if (!finite) {
        return Float.NaN;
      }
      return value;
    }
  }
}
