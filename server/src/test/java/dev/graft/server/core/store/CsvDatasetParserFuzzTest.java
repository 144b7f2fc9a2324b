package dev.graft.server.core.store;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.graft.spi.Task;
import java.util.HashMap;
import java.util.Map;

/**
 * Fuzz targets for CSV uploads, tabular and time series (docs/fuzzing.md; contract in
 * {@link ParserFuzzing}). The options are picked by the input's last bytes (one byte each, the
 * first option from the very last byte, as {@link FuzzedDataProvider} reads them); the rest of the
 * input, from its start, is the file.
 */
class CsvDatasetParserFuzzTest {
  private static final CsvDatasetParser PARSER = new CsvDatasetParser();
  private static final String[] DELIMITERS = {"", ",", "\t", "tab", ";", "|", "\"", ",,"};

  /** Text classification, regression and pair layouts: options delimiter, then the columns. */
  @FuzzTest(maxDuration = "10s")
  void csv(FuzzedDataProvider data) {
    Map<String, String> options = new HashMap<>();
    put(options, "delimiter", data.pickValue(DELIMITERS));
    switch (data.consumeInt(0, 3)) {
      case 1 -> options.put("value_column", "value");
      case 2 -> options.put("pair_column", "pair");
      case 3 -> {
        options.put("text_column", "t");
        options.put("label_column", "y");
      }
      default -> { } // text and label
    }
    ParserFuzzing.parse(PARSER, DatasetFormat.CSV, null, options,
        Map.of("", ParserFuzzing.part("", data.consumeRemainingAsBytes())));
  }

  /**
   * Time series (option layout): layout, value_columns, series_id_column, timestamp_column,
   * label_column, horizon, context_length, stride, missing, delimiter, then the task.
   */
  @FuzzTest(maxDuration = "10s")
  void series(FuzzedDataProvider data) {
    Map<String, String> options = new HashMap<>();
    put(options, "layout", data.pickValue(new String[] {"long", "wide", "WIDE", "diagonal"}));
    put(options, "value_columns", data.pickValue(new String[] {"", "value", "a,b", "a, a", ","}));
    put(options, "series_id_column", data.pickValue(new String[] {"", "id", "nope"}));
    put(options, "timestamp_column", data.pickValue(new String[] {"", "ts"}));
    put(options, "label_column", data.pickValue(new String[] {"", "label"}));
    put(options, "horizon", data.pickValue(new String[] {"", "1", "2", "0", "x"}));
    put(options, "context_length", data.pickValue(new String[] {"", "1", "3", "1000000"}));
    put(options, "stride", data.pickValue(new String[] {"", "1", "2"}));
    put(options, "missing", data.pickValue(new String[] {"", "interpolate", "zero", "error", "bogus"}));
    put(options, "delimiter", data.pickValue(new String[] {"", ",", ";", "\t"}));
    Task task = data.pickValue(new Task[] {null, Task.CLASSIFICATION, Task.REGRESSION, Task.FORECASTING});
    ParserFuzzing.parse(PARSER, DatasetFormat.CSV, task, options,
        Map.of("", ParserFuzzing.part("", data.consumeRemainingAsBytes())));
  }

  private static void put(Map<String, String> options, String key, String value) {
    if (!value.isEmpty()) {
      options.put(key, value);
    }
  }
}
