package dev.graft.server.core.store;

import dev.graft.server.core.Echo;
import dev.graft.spi.Example;
import dev.graft.spi.GraftException;
import dev.graft.spi.ModelInput;
import dev.graft.spi.Target;
import dev.graft.spi.Task;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Time-series CSV datasets, chosen on a CSV upload by the option {@code layout}:
 *
 * <ul>
 *   <li>{@code layout=long}: one row per time step. {@code value_columns} (comma-separated, default
 *       "value"; several = a multivariate series, channels in that order), optional
 *       {@code series_id_column} (rows with the same id form one series; absent = one series),
 *       optional {@code timestamp_column} (rows of a series are sorted by it; a repeated timestamp
 *       is refused), optional {@code label_column} (a per-series label; it must not change within
 *       a series).
 *   <li>{@code layout=wide}: one row per series; every column other than {@code label_column} and
 *       {@code series_id_column} is a time step, in header order (univariate).
 * </ul>
 *
 * <p>Tasks: with a label, each whole series is one example ({@link Target.Label}, or
 * {@link Target.Value} when the spec's task is REGRESSION). For FORECASTING (the spec's task, or
 * inferred when {@code horizon} is set and there is no label), windows are cut from each series with
 * {@code context_length} (default 4 × horizon), {@code horizon} and {@code stride} (default
 * horizon): input = the context (all channels, interleaved by step), target = the next
 * {@code horizon} values of the first channel.
 *
 * <p>Missing values (empty, "NaN", "NA", "null") follow {@code missing}: {@code interpolate}
 * (default: linear between the nearest present neighbours, edges take the nearest present value),
 * {@code zero}, or {@code error}. A series with no present value is refused. Stateless and
 * thread-safe.
 */
public final class SeriesCsvDatasetParser implements DatasetParser {

  static final Set<String> LAYOUTS = Set.of("long", "wide");

  private final char delimiter;

  /** A parser for one delimiter. */
  public SeriesCsvDatasetParser(char delimiter) {
    this.delimiter = delimiter;
  }

  @Override
  public void validate(DatasetSpecRecord spec) {
    SeriesCsvOptions.of(spec);
  }

  @Override
  public List<Example> parse(Map<String, Path> parts, DatasetSpecRecord spec, ParseBudget budget) {
    SeriesCsvOptions o = SeriesCsvOptions.of(spec);
    RecordErrors.onlyParts(parts, Set.of(""), "CSV");
    Path main = parts.get("");
    if (main == null) {
      return List.of();
    }
    Map<String, SeriesBuilder> series;
    try (InputStream in = new BufferedInputStream(Files.newInputStream(main), 1 << 16)) {
      CsvRecordReader reader = new CsvRecordReader(new LineReader(in), delimiter);
      List<String> header = reader.next();
      if (header == null) {
        return List.of();
      }
      Windows windows = new Windows(o, spec.task(), budget);
      series = o.wide() ? readWide(reader, header, o, windows) : readLong(reader, header, o, windows);
    } catch (IOException e) {
      throw RecordErrors.io(e);
    }
    List<Example> out = new ArrayList<>();
    for (Map.Entry<String, SeriesBuilder> e : series.entrySet()) {
      SeriesBuilder b = e.getValue();
      budget.charge(ExampleSizes.ARRAY * b.channelCount() + 4L * b.size() * b.channelCount(),
          "data[series " + Echo.cut(e.getKey()) + "]");
      float[][] channels = b.channels(o.missing(), e.getKey());
      out.addAll(examples(channels, b.label, o, spec.task(), e.getKey(), budget, b.chargedWindows));
    }
    return out;
  }

  private static List<Example> examples(
      float[][] channels, String label, SeriesCsvOptions o, Task task, String id, ParseBudget budget,
      long charged) {
    String field = "data[series " + Echo.cut(id) + "]";
    boolean forecasting = task == Task.FORECASTING || (task == null && label == null && o.horizon() > 0);
    if (!forecasting) {
      if (label == null) {
        throw GraftException.invalidArgument("spec.options[label_column]", "MISSING_OPTION",
            "series " + Echo.quote(id) + " has no label: set label_column, or horizon for forecasting");
      }
      ModelInput input = new ModelInput.Series(interleave(channels, 0, channels[0].length), channels.length);
      Target target = task == Task.REGRESSION ? new Target.Value(number(label, id)) : new Target.Label(label);
      Example example = new Example(input, target);
      budget.add(example, field);
      return List.of(example);
    }
    if (o.horizon() <= 0) {
      throw GraftException.invalidArgument("spec.options[horizon]", "MISSING_OPTION",
          "forecasting needs the option horizon (the number of future points to predict)");
    }
    int ctx = o.contextLength();
    int h = o.horizon();
    int n = channels[0].length;
    long windows = n < (long) ctx + h ? 0 : ((long) n - ctx - h) / o.stride() + 1;
    // windows overlap: charge them all before building one (context × stride can amplify a series a lot)
    budget.charge(Math.max(0, windows - charged) * Windows.bytes(ctx, channels.length, h), field);
    List<Example> out = new ArrayList<>((int) windows);
    for (int start = 0; start + ctx + h <= n; start += o.stride()) {
      float[] target = new float[h];
      System.arraycopy(channels[0], start + ctx, target, 0, h);
      out.add(new Example(new ModelInput.Series(interleave(channels, start, ctx), channels.length),
          new Target.Values(target)));
    }
    return out;
  }

  private static float number(String label, String id) {
    try {
      float v = Float.parseFloat(label);
      if (Float.isFinite(v)) {
        return v;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw GraftException.invalidArgument("data[series " + Echo.cut(id) + "]", RecordErrors.INVALID_DATASET_RECORD,
        "series " + Echo.quote(id) + ": the regression target " + Echo.quote(label) + " is not a finite number");
  }

  private static float[] interleave(float[][] channels, int start, int length) {
    int c = channels.length;
    float[] out = new float[length * c];
    for (int t = 0; t < length; t++) {
      for (int k = 0; k < c; k++) {
        out[t * c + k] = channels[k][start + t];
      }
    }
    return out;
  }

  private static Map<String, SeriesBuilder> readLong(
      CsvRecordReader reader, List<String> header, SeriesCsvOptions o, Windows windows) throws IOException {
    ParseBudget budget = windows.budget;
    Map<String, Integer> index = index(header);
    int[] values = new int[o.valueColumns().size()];
    for (int i = 0; i < values.length; i++) {
      values[i] = require(index, header, o.valueColumns().get(i), "value_columns");
    }
    int id = o.seriesIdColumn().isEmpty() ? -1 : require(index, header, o.seriesIdColumn(), "series_id_column");
    int ts = o.timestampColumn().isEmpty() ? -1 : require(index, header, o.timestampColumn(), "timestamp_column");
    int label = o.labelColumn().isEmpty() ? -1 : require(index, header, o.labelColumn(), "label_column");
    Map<String, SeriesBuilder> out = new LinkedHashMap<>();
    for (List<String> row = reader.next(); row != null; row = reader.next()) {
      if (row.size() == 1 && row.get(0).isBlank()) {
        continue;
      }
      long line = reader.line();
      if (row.size() != header.size()) {
        throw RecordErrors.at(line, "expected " + header.size() + " fields as in the header, found " + row.size());
      }
      String key = id < 0 ? "series" : row.get(id).strip();
      budget.chargeLine(SeriesBuilder.stepBytes(values.length), line);
      SeriesBuilder b = out.computeIfAbsent(key, k -> new SeriesBuilder(values.length));
      if (label >= 0) {
        b.label(row.get(label).strip(), line, o.labelColumn());
      }
      float[] step = new float[values.length];
      for (int k = 0; k < values.length; k++) {
        step[k] = SeriesBuilder.cell(row.get(values[k]), line, o.valueColumns().get(k));
      }
      b.add(step, ts < 0 ? b.size() : Timestamps.parse(row.get(ts), line, o.timestampColumn()), line);
      windows.grew(b, values.length, line);
    }
    for (SeriesBuilder b : out.values()) {
      b.sortByTime(o.timestampColumn());
    }
    return out;
  }

  private static Map<String, SeriesBuilder> readWide(
      CsvRecordReader reader, List<String> header, SeriesCsvOptions o, Windows windows) throws IOException {
    ParseBudget budget = windows.budget;
    Map<String, Integer> index = index(header);
    int id = o.seriesIdColumn().isEmpty() ? -1 : require(index, header, o.seriesIdColumn(), "series_id_column");
    int label = o.labelColumn().isEmpty() ? -1 : require(index, header, o.labelColumn(), "label_column");
    Map<String, SeriesBuilder> out = new LinkedHashMap<>();
    for (List<String> row = reader.next(); row != null; row = reader.next()) {
      if (row.size() == 1 && row.get(0).isBlank()) {
        continue;
      }
      long line = reader.line();
      if (row.size() != header.size()) {
        throw RecordErrors.at(line, "expected " + header.size() + " fields as in the header, found " + row.size());
      }
      String key = id < 0 ? "line " + line : row.get(id).strip();
      if (out.containsKey(key)) {
        throw RecordErrors.at(line, o.seriesIdColumn(), "series id " + Echo.quote(key) + " appears twice");
      }
      budget.chargeLine(SeriesBuilder.stepBytes(1) * row.size(), line);
      SeriesBuilder b = new SeriesBuilder(1);
      if (label >= 0) {
        b.label(row.get(label).strip(), line, o.labelColumn());
      }
      for (int i = 0; i < row.size(); i++) {
        if (i != id && i != label) {
          b.add(new float[] {SeriesBuilder.cell(row.get(i), line, header.get(i).strip())}, b.size(), line);
          windows.grew(b, 1, line);
        }
      }
      out.put(key, b);
    }
    return out;
  }

  /**
   * Charges forecasting windows while series are read: once a series holds n ≥ context + horizon
   * steps, every stride-th step adds a window that will be cut, so an amplifying upload is refused
   * as soon as its windows pass the budget, before the rest is read.
   */
  private static final class Windows {
    final ParseBudget budget;
    private final boolean forecasting;
    private final int context;
    private final int horizon;
    private final int stride;

    Windows(SeriesCsvOptions o, Task task, ParseBudget budget) {
      this.budget = budget;
      this.forecasting = o.horizon() > 0
          && (task == Task.FORECASTING || (task == null && o.labelColumn().isEmpty()));
      this.context = o.contextLength();
      this.horizon = o.horizon();
      this.stride = Math.max(1, o.stride());
    }

    static long bytes(int context, int channels, int horizon) {
      return 8 + ExampleSizes.seriesExample((long) context * channels, horizon);
    }

    void grew(SeriesBuilder b, int channels, long line) {
      long past = (long) b.size() - context - horizon;
      if (forecasting && past >= 0 && past % stride == 0) {
        budget.chargeLine(bytes(context, channels, horizon), line);
        b.chargedWindows++;
      }
    }
  }

  private static Map<String, Integer> index(List<String> header) {
    Map<String, Integer> index = new HashMap<>();
    for (int i = header.size() - 1; i >= 0; i--) {
      index.put(header.get(i).strip(), i);
    }
    return index;
  }

  private static int require(Map<String, Integer> index, List<String> header, String name, String option) {
    Integer i = index.get(name);
    if (i == null) {
      throw GraftException.invalidArgument("spec.options[" + option + "]", "UNKNOWN_COLUMN",
          "the header has no column \"" + Echo.cut(name) + "\" (columns: " + Echo.cut(String.join(", ", header)) + ")");
    }
    return i;
  }
}
