package dev.graft.plugins.trainingkit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.graft.plugins.trainingkit.scoring.SeriesTargets;
import dev.graft.spi.Example;
import dev.graft.spi.GraftException;
import dev.graft.spi.ModelInput;
import dev.graft.spi.Target;
import dev.graft.spi.Task;
import dev.graft.spi.TaskSpec;
import java.util.ArrayList;
import java.util.List;

/**
 * One split's inputs and targets, checked and ready for batches: class indices for
 * classification, standardised value rows for regression and forecasting (with the raw values
 * for metrics). Immutable by convention (arrays are never written after construction).
 */
final class LabelledData {
  private final String split;
  private final List<ModelInput> inputs;
  private final long[] classes;
  private final float[] targets;
  private final float[] raw;
  private final int outputs;
  private final TargetScale scale;
  private final SeriesTargets series;

  private LabelledData(String split, List<ModelInput> inputs, long[] classes, float[] targets,
      float[] raw, int outputs, TargetScale scale, SeriesTargets series) {
    this.series = series;
    this.split = split;
    this.inputs = inputs;
    this.classes = classes;
    this.targets = targets;
    this.raw = raw;
    this.outputs = outputs;
    this.scale = scale;
  }

  /**
   * Reads {@code examples} for {@code task}.
   *
   * @param scale the targets' standardisation (regression, forecasting); null to fit it on these
   *     examples (the training split)
   * @param outputs values per example (regression, forecasting) or classes
   * @throws GraftException INVALID_ARGUMENT naming {@code <split>.examples[i].target}
   */
  static LabelledData of(
      String split, List<Example> examples, TaskSpec task, int outputs, TargetScale scale) {
    List<ModelInput> inputs = new ArrayList<>(examples.size());
    examples.forEach(e -> inputs.add(e.input()));
    if (task.task() == Task.CLASSIFICATION) {
      long[] classes = new long[examples.size()];
      for (int i = 0; i < classes.length; i++) {
        Target t = examples.get(i).target();
        int index = t instanceof Target.Label l ? task.indexOf(l.label()) : -1;
        if (index < 0) {
          throw GraftException.invalidArgument(field(split, i), "UNKNOWN_LABEL",
              field(split, i) + " is not one of the labels " + task.labels());
        }
        classes[i] = index;
      }
      return new LabelledData(split, inputs, classes, null, null, outputs, null, null);
    }
    float[] raw = new float[examples.size() * outputs];
    for (int i = 0; i < examples.size(); i++) {
      float[] row = values(examples.get(i).target());
      if (row.length != outputs) {
        throw GraftException.invalidArgument(field(split, i), "BAD_TARGET",
            field(split, i) + " has " + row.length + " values; expected " + outputs);
      }
      for (float v : row) {
        if (!Float.isFinite(v)) {
          throw GraftException.invalidArgument(
              field(split, i), "BAD_TARGET", field(split, i) + " holds a non-finite value");
        }
      }
      System.arraycopy(row, 0, raw, i * outputs, outputs);
    }
    // Forecasts on series are learnt in each window's own units (see SeriesTargets).
    SeriesTargets series = task.task() == Task.FORECASTING ? SeriesTargets.of(examples) : null;
    float[] scaled = raw;
    if (series != null) {
      float[][] rows = new float[examples.size()][outputs];
      for (int i = 0; i < rows.length; i++) {
        System.arraycopy(raw, i * outputs, rows[i], 0, outputs);
      }
      series.scale(rows);
      scaled = new float[raw.length];
      for (int i = 0; i < rows.length; i++) {
        System.arraycopy(rows[i], 0, scaled, i * outputs, outputs);
      }
    }
    TargetScale fitted = scale != null ? scale : TargetScale.fit(scaled, outputs);
    return new LabelledData(split, inputs, null, fitted.apply(scaled), raw, outputs, fitted, series);
  }

  /** The number of values a regression or forecasting example predicts. */
  static int outputWidth(List<Example> examples, TaskSpec task) {
    if (task.task() == Task.CLASSIFICATION) {
      return task.labels().size();
    }
    return examples.isEmpty() ? 1 : values(examples.get(0).target()).length;
  }

  private static float[] values(Target t) {
    if (t instanceof Target.Value v) {
      return new float[] {v.value()};
    }
    if (t instanceof Target.Values vs && vs.values() != null) {
      return vs.values().clone();
    }
    return new float[0];
  }

  static String field(String split, int index) {
    return split + ".examples[" + index + "].target";
  }

  String split() {
    return split;
  }

  int size() {
    return inputs.size();
  }

  int outputs() {
    return outputs;
  }

  boolean classification() {
    return classes != null;
  }

  long[] classes() {
    return classes;
  }

  float[] rawTargets() {
    return raw;
  }

  /** Per-window scaling of forecasting targets on series, else null. */
  SeriesTargets series() {
    return series;
  }

  /** The examples' inputs, in order. */
  List<ModelInput> inputs() {
    return inputs;
  }

  /** The targets' standardisation (regression, forecasting), else null. */
  TargetScale scale() {
    return scale;
  }

  /** The inputs of {@code order[from..to)}. */
  List<ModelInput> inputs(int[] order, int from, int to) {
    List<ModelInput> batch = new ArrayList<>(to - from);
    for (int i = from; i < to; i++) {
      batch.add(inputs.get(order[i]));
    }
    return batch;
  }

  /** The targets of {@code order[from..to)}: int64 classes or (rows, outputs) float values. */
  NDArray targets(NDManager manager, int[] order, int from, int to) {
    if (classification()) {
      long[] batch = new long[to - from];
      for (int i = from; i < to; i++) {
        batch[i - from] = classes[order[i]];
      }
      return manager.create(batch);
    }
    float[] rows = new float[(to - from) * outputs];
    for (int i = from; i < to; i++) {
      System.arraycopy(targets, order[i] * outputs, rows, (i - from) * outputs, outputs);
    }
    return manager.create(rows, new Shape(to - from, outputs));
  }
}
