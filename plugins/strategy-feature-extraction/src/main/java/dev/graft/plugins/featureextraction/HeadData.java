package dev.graft.plugins.featureextraction;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.graft.plugins.trainingkit.scoring.SeriesTargets;

/**
 * One split ready for the head: standardised features and targets, all row-major. Immutable by
 * convention (arrays are shared, never written after construction).
 *
 * @param features {@code size * dimension} standardised features
 * @param size the number of examples
 * @param dimension the feature dimension
 * @param outputs classes (classification) or values per example (regression, forecasting)
 * @param classes the class index of each example (classification), else null
 * @param targets {@code size * outputs} standardised targets (regression), else null
 * @param rawTargets the targets on their original scale (regression), else null
 * @param series per-window scaling of forecasting targets on series inputs, else null
 */
record HeadData(
    float[] features,
    int size,
    int dimension,
    int outputs,
    long[] classes,
    float[] targets,
    float[] rawTargets,
    SeriesTargets series) {

  boolean classification() {
    return classes != null;
  }

  /** The features of {@code order[from..to)}, (rows, dimension), owned by {@code manager}. */
  NDArray featureBatch(NDManager manager, int[] order, int from, int to) {
    float[] rows = gather(features, dimension, order, from, to);
    return manager.create(rows, new Shape(to - from, dimension));
  }

  /** The targets of {@code order[from..to)}: int64 class indices or (rows, outputs) values. */
  NDArray targetBatch(NDManager manager, int[] order, int from, int to) {
    if (classification()) {
      long[] batch = new long[to - from];
      for (int i = from; i < to; i++) {
        batch[i - from] = classes[order[i]];
      }
      return manager.create(batch);
    }
    return manager.create(gather(targets, outputs, order, from, to), new Shape(to - from, outputs));
  }

  private static float[] gather(float[] rows, int width, int[] order, int from, int to) {
    float[] out = new float[(to - from) * width];
    for (int i = from; i < to; i++) {
      System.arraycopy(rows, order[i] * width, out, (i - from) * width, width);
    }
    return out;
  }
}
