package dev.graft.plugins.featureextraction;

import dev.graft.spi.Example;
import dev.graft.spi.GraftException;
import dev.graft.spi.Target;
import dev.graft.spi.Task;
import dev.graft.spi.TaskSpec;
import java.util.List;

/**
 * Reads the targets of examples into arrays a head trains on: class indices for classification,
 * rows of values for regression (one value) and forecasting (a horizon). Stateless and
 * thread-safe.
 */
final class Targets {
  private Targets() {}

  /**
   * The output index of each example's label, in the order of {@code task.labels()}.
   *
   * @throws GraftException INVALID_ARGUMENT naming {@code <split>.examples[i].target} for a
   *     target that is not a label of the task
   */
  static long[] classIndices(List<Example> examples, TaskSpec task, String split) {
    long[] indices = new long[examples.size()];
    for (int i = 0; i < indices.length; i++) {
      Target target = examples.get(i).target();
      int index = target instanceof Target.Label label ? task.indexOf(label.label()) : -1;
      if (index < 0) {
        throw GraftException.invalidArgument(
            field(split, i),
            "UNKNOWN_LABEL",
            field(split, i) + " is " + describe(target) + ", not one of the labels "
                + task.labels());
      }
      indices[i] = index;
    }
    return indices;
  }

  /**
   * The number of values each example predicts: 1 for regression, the horizon for forecasting
   * (taken from the first example).
   */
  static int outputWidth(List<Example> examples, Task task) {
    if (task != Task.FORECASTING || examples.isEmpty()) {
      return 1;
    }
    return values(examples.get(0).target()).length;
  }

  /**
   * The target values of each example, {@code width} per row.
   *
   * @throws GraftException INVALID_ARGUMENT naming {@code <split>.examples[i].target} for a
   *     missing, non-finite or wrongly sized target
   */
  static float[][] values(List<Example> examples, int width, String split) {
    float[][] rows = new float[examples.size()][];
    for (int i = 0; i < rows.length; i++) {
      Target target = examples.get(i).target();
      float[] row = values(target);
      if (row.length != width) {
        throw GraftException.invalidArgument(
            field(split, i),
            "BAD_TARGET",
            field(split, i) + " has " + row.length + " values; expected " + width
                + " (" + describe(target) + ")");
      }
      for (float v : row) {
        if (!Float.isFinite(v)) {
          throw GraftException.invalidArgument(
              field(split, i), "BAD_TARGET", field(split, i) + " holds a non-finite value");
        }
      }
      rows[i] = row;
    }
    return rows;
  }

  private static float[] values(Target target) {
    if (target instanceof Target.Value value) {
      return new float[] {value.value()};
    }
    if (target instanceof Target.Values values) {
      return values.values() == null ? new float[0] : values.values().clone();
    }
    return new float[0];
  }

  private static String describe(Target target) {
    if (target instanceof Target.Label label) {
      return "label '" + label.label() + "'";
    }
    if (target instanceof Target.Value) {
      return "a value";
    }
    return "a vector of values";
  }

  private static String field(String split, int index) {
    return split + ".examples[" + index + "].target";
  }
}
