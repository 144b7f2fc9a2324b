package dev.graft.plugins.timeseries.pretrain;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import dev.graft.plugins.timeseries.encoder.SeriesEncoder;
import dev.graft.plugins.timeseries.encoder.WindowScaler;
import dev.graft.spi.ParameterGroup;
import java.util.ArrayList;
import java.util.List;

/**
 * A series encoder with a linear forecasting head: scaled context in, the next {@code horizon}
 * scaled points out; {@link #forecast} undoes the scaling. Used by pretraining (the head is then
 * dropped) and by the benchmark's transfer runs. Not thread-safe; owns the encoder it is given
 * and closes it.
 */
public final class ForecastNetwork implements AutoCloseable {
  private final SeriesEncoder encoder;
  private final Linear head;
  private final int horizon;

  public ForecastNetwork(SeriesEncoder encoder, int horizon) {
    this.encoder = encoder;
    this.horizon = horizon;
    this.head = Linear.builder().setUnits(horizon).build();
    head.initialize(encoder.manager(), DataType.FLOAT32, new Shape(1, encoder.dimension()));
  }

  public SeriesEncoder encoder() {
    return encoder;
  }

  public int horizon() {
    return horizon;
  }

  /** Every parameter: the encoder's groups, then the head's. */
  public List<Parameter> parameters() {
    List<Parameter> out = new ArrayList<>();
    for (ParameterGroup g : encoder.groups()) {
      out.addAll(g.parameters());
    }
    out.addAll(head.getParameters().values());
    return out;
  }

  /** Freezes or unfreezes the encoder (the head stays trainable). */
  public void freezeEncoder(boolean frozen) {
    for (ParameterGroup g : encoder.groups()) {
      g.freeze(frozen);
    }
  }

  /** Scaled forecasts {@code [batch, horizon]} for scaled contexts {@code [batch, context]}. */
  NDArray forward(NDManager scope, NDArray scaledContexts, boolean training) {
    long b = scaledContexts.getShape().get(0);
    NDArray weights = scope.eye((int) b);
    ParameterStore store = new ParameterStore(scope, false);
    NDArray f = encoder.block().forward(store, new NDList(scaledContexts, weights), training).head();
    return head.forward(store, new NDList(f), training).head();
  }

  /** Forecasts in the series' units for raw contexts (each its last {@code context} points). */
  public float[][] forecast(List<float[]> contexts) {
    int c = encoder.config().context();
    float[][] out = new float[contexts.size()][];
    int batch = 256;
    for (int start = 0; start < contexts.size(); start += batch) {
      int n = Math.min(batch, contexts.size() - start);
      float[] x = new float[n * c];
      WindowScaler.Stats[] stats = new WindowScaler.Stats[n];
      for (int i = 0; i < n; i++) {
        float[] w = WindowScaler.lastWindow(contexts.get(start + i), 1, 0, c);
        stats[i] = WindowScaler.stats(w);
        System.arraycopy(WindowScaler.apply(w, stats[i]), 0, x, i * c, c);
      }
      try (NDManager scope = encoder.manager().newSubManager()) {
        float[] y = forward(scope, scope.create(x, new Shape(n, c)), false).toFloatArray();
        for (int i = 0; i < n; i++) {
          float[] row = new float[horizon];
          for (int k = 0; k < horizon; k++) {
            row[k] = stats[i].unscale(y[i * horizon + k]);
          }
          out[start + i] = row;
        }
      }
    }
    return out;
  }

  @Override
  public void close() {
    encoder.close();
  }
}
