package dev.graft.plugins.timeseries.encoder;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.graft.spi.GraftException;
import dev.graft.spi.ModelInput;
import java.util.List;

/**
 * Turns a batch of series into the encoder's input: one scaled row per channel of each input and
 * a matrix that averages an input's rows. Stateless and thread-safe.
 */
public final class SeriesBatch {
  private SeriesBatch() {}

  /**
   * The block input for {@code inputs}, created in {@code manager}.
   *
   * @throws GraftException INVALID_ARGUMENT naming {@code inputs[i]} for an input that is not a
   *     readable series
   */
  public static NDList encode(NDManager manager, List<ModelInput> inputs, int context) {
    int rows = 0;
    for (int i = 0; i < inputs.size(); i++) {
      rows += check(inputs.get(i), "inputs[" + i + "]").channels();
    }
    float[] values = new float[rows * context];
    float[] weights = new float[inputs.size() * rows];
    int row = 0;
    for (int i = 0; i < inputs.size(); i++) {
      ModelInput.Series s = (ModelInput.Series) inputs.get(i);
      for (int c = 0; c < s.channels(); c++) {
        float[] w = WindowScaler.lastWindow(s.values(), s.channels(), c, context);
        WindowScaler.apply(w, WindowScaler.stats(w));
        System.arraycopy(w, 0, values, row * context, context);
        weights[i * rows + row] = 1f / s.channels();
        row++;
      }
    }
    return new NDList(
        manager.create(values, new Shape(rows, context)),
        manager.create(weights, new Shape(inputs.size(), rows)));
  }

  /**
   * Checks that an input is a usable series.
   *
   * @throws GraftException INVALID_ARGUMENT naming {@code field}
   */
  public static ModelInput.Series check(ModelInput input, String field) {
    if (!(input instanceof ModelInput.Series s)) {
      throw GraftException.invalidArgument(field, "UNSUPPORTED_INPUT_KIND",
          field + " is " + (input == null ? "missing" : input.kind()) + "; the series encoder reads SERIES");
    }
    if (s.values() == null || s.values().length == 0 || s.channels() < 1
        || s.values().length % s.channels() != 0) {
      throw GraftException.invalidArgument(field + ".series.values", "BAD_SERIES",
          field + " must hold at least one step and a whole number of steps of " + s.channels() + " channels");
    }
    for (float v : s.values()) {
      if (!Float.isFinite(v)) {
        throw GraftException.invalidArgument(field + ".series.values", "NON_FINITE_VALUE",
            field + " holds a NaN or infinite value; fill missing values before sending");
      }
    }
    return s;
  }
}
