package dev.graft.server.core.store;

import dev.graft.server.core.Echo;
import dev.graft.spi.GraftException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/** Collects the steps of one series while a CSV is read. Not thread-safe; one per series. */
final class SeriesBuilder {
  private record Step(double time, float[] values, long line) {}

  private final int channels;
  private final List<Step> steps = new ArrayList<>();
  String label;
  /** Forecasting windows already charged to the parse budget while the series was read. */
  long chargedWindows;

  SeriesBuilder(int channels) {
    this.channels = channels;
  }

  int size() {
    return steps.size();
  }

  int channelCount() {
    return channels;
  }

  /** The estimated heap bytes of one step of {@code channels} values while a series is read. */
  static long stepBytes(int channels) {
    return ExampleSizes.OBJECT + ExampleSizes.ARRAY + 4L * channels + 8;
  }

  void label(String value, long line, String column) {
    if (value.isEmpty()) {
      throw RecordErrors.at(line, column, "\"" + column + "\" is empty");
    }
    if (value.length() > DatasetStats.MAX_LABEL_CHARS) {
      throw RecordErrors.at(line, column, "\"" + column + "\" is " + value.length()
          + " characters long; a label has at most " + DatasetStats.MAX_LABEL_CHARS);
    }
    if (label != null && !label.equals(value)) {
      throw RecordErrors.at(line, column,
          "the series changes its label from " + Echo.quote(label) + " to " + Echo.quote(value)
              + "; a label belongs to a whole series");
    }
    label = value;
  }

  void add(float[] values, double time, long line) {
    steps.add(new Step(time, values, line));
  }

  /** Sorts the steps by time (stable) and refuses a repeated timestamp. */
  void sortByTime(String column) {
    steps.sort(Comparator.comparingDouble(Step::time));
    for (int i = 1; i < steps.size(); i++) {
      if (steps.get(i).time() == steps.get(i - 1).time()) {
        throw RecordErrors.at(steps.get(i).line(), column,
            "timestamp repeats the one on line " + steps.get(i - 1).line() + " of the same series");
      }
    }
  }

  /** A cell's number, or NaN for a missing one. */
  static float cell(String text, long line, String column) {
    String t = text.strip();
    String lower = t.toLowerCase(Locale.ROOT);
    if (t.isEmpty() || lower.equals("nan") || lower.equals("na") || lower.equals("null")) {
      return Float.NaN;
    }
    try {
      float v = Float.parseFloat(t);
      if (Float.isFinite(v)) {
        return v;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw RecordErrors.at(line, column, "\"" + Echo.cut(column) + "\" is not a number: " + Echo.quote(t));
  }

  /** The channels, [channel][step], with missing values filled by {@code rule}. */
  float[][] channels(SeriesCsvOptions.Missing rule, String id) {
    int n = steps.size();
    float[][] out = new float[channels][n];
    for (int t = 0; t < n; t++) {
      for (int k = 0; k < channels; k++) {
        out[k][t] = steps.get(t).values()[k];
      }
    }
    for (int k = 0; k < channels; k++) {
      fill(out[k], rule, id);
    }
    return out;
  }

  private void fill(float[] x, SeriesCsvOptions.Missing rule, String id) {
    int previous = -1;
    for (int t = 0; t < x.length; t++) {
      if (!Float.isNaN(x[t])) {
        previous = t;
        continue;
      }
      if (rule == SeriesCsvOptions.Missing.ERROR) {
        throw RecordErrors.at(steps.get(t).line(), "a value is missing (option missing=error)");
      }
      if (rule == SeriesCsvOptions.Missing.ZERO) {
        x[t] = 0f;
        continue;
      }
      int next = t + 1;
      while (next < x.length && Float.isNaN(x[next])) {
        next++;
      }
      if (previous < 0 && next >= x.length) {
        throw GraftException.invalidArgument("data[series " + Echo.cut(id) + "]", RecordErrors.INVALID_DATASET_RECORD,
            "series " + Echo.quote(id) + " has no values");
      }
      for (int u = t; u < next; u++) {
        if (previous < 0) {
          x[u] = x[next];
        } else if (next >= x.length) {
          x[u] = x[previous];
        } else {
          float w = (float) (u - previous) / (next - previous);
          x[u] = x[previous] + w * (x[next] - x[previous]);
        }
      }
      t = next - 1;
    }
  }
}
