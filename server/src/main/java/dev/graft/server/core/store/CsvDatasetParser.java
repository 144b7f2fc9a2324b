package dev.graft.server.core.store;

import dev.graft.server.core.Echo;
import dev.graft.spi.Example;
import dev.graft.spi.GraftException;
import dev.graft.spi.ModelInput;
import dev.graft.spi.Target;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * CSV datasets (RFC 4180: quotes, doubled quotes, line breaks inside quotes) with a header row;
 * blank lines are skipped. Options: {@code text_column} (default "text"), {@code pair_column},
 * {@code label_column} (default "label"), {@code value_column} (a number: regression; used
 * instead of the label, and chosen by default when the header has "value" but no label column),
 * {@code delimiter} (default ",", "\t" or "tab" for tabs). With the option {@code layout}
 * ({@code long} or {@code wide}) the file holds time series instead, read by
 * {@link SeriesCsvDatasetParser}.
 *
 * <p>Errors are INVALID_ARGUMENT, reason INVALID_DATASET_RECORD, field {@code data[line N].COLUMN}
 * ({@code data[line N]} when no column applies), message {@code line N: ...}; the header is line 1.
 * Stateless and thread-safe.
 */
public final class CsvDatasetParser implements DatasetParser {

  /** The options of text CSV datasets (series CSV: {@link SeriesCsvOptions#KEYS}). */
  static final Set<String> OPTIONS = Set.of("text_column", "pair_column", "label_column", "value_column", "delimiter");

  @Override
  public void validate(DatasetSpecRecord spec) {
    char d = delimiter(spec);
    if (spec.options().containsKey("layout")) {
      new SeriesCsvDatasetParser(d).validate(spec);
    } else {
      DatasetOptions.requireKnown(spec, OPTIONS);
    }
  }

  @Override
  public List<Example> parse(Map<String, Path> parts, DatasetSpecRecord spec, ParseBudget budget) {
    if (spec.options().containsKey("layout")) {
      return new SeriesCsvDatasetParser(delimiter(spec)).parse(parts, spec, budget);
    }
    RecordErrors.onlyParts(parts, Set.of(""), "CSV");
    Path main = parts.get("");
    if (main == null) {
      return List.of();
    }
    try (InputStream in = new BufferedInputStream(Files.newInputStream(main), 1 << 16)) {
      CsvRecordReader reader = new CsvRecordReader(new LineReader(in), delimiter(spec));
      List<String> header = reader.next();
      while (header != null && isBlank(header)) {
        header = reader.next();
      }
      if (header == null) {
        return List.of();
      }
      Columns c = new Columns(header, reader.line(), spec);
      List<Example> out = new ArrayList<>();
      for (List<String> row = reader.next(); row != null; row = reader.next()) {
        if (isBlank(row)) {
          continue;
        }
        long n = reader.line();
        if (row.size() != header.size()) {
          throw RecordErrors.at(n, "expected " + header.size() + " fields as in the header, found " + row.size());
        }
        String pair = c.pair < 0 ? "" : row.get(c.pair);
        ModelInput input = new ModelInput.Text(row.get(c.text), pair);
        Example example = new Example(input, c.value >= 0 ? value(row, c, n) : label(row, c, n));
        budget.addLine(example, n);
        out.add(example);
      }
      return out;
    } catch (IOException e) {
      throw RecordErrors.io(e);
    }
  }

  private static Target label(List<String> row, Columns c, long n) {
    String label = row.get(c.label).strip();
    if (label.isEmpty()) {
      throw RecordErrors.at(n, c.labelName, "\"" + c.labelName + "\" is empty");
    }
    if (label.length() > DatasetStats.MAX_LABEL_CHARS) {
      throw RecordErrors.at(n, c.labelName, "\"" + c.labelName + "\" is " + label.length()
          + " characters long; a label has at most " + DatasetStats.MAX_LABEL_CHARS);
    }
    return new Target.Label(label);
  }

  private static Target value(List<String> row, Columns c, long n) {
    String text = row.get(c.value).strip();
    float v;
    try {
      v = Float.parseFloat(text);
    } catch (NumberFormatException e) {
      v = Float.NaN;
    }
    if (!Float.isFinite(v) || text.isEmpty()) {
      throw RecordErrors.at(n, c.valueName, "\"" + c.valueName + "\" is not a finite number: " + Echo.quote(text));
    }
    return new Target.Value(v);
  }

  private static boolean isBlank(List<String> row) {
    return row.size() == 1 && row.get(0).isBlank();
  }

  private static char delimiter(DatasetSpecRecord spec) {
    String d = spec.options().getOrDefault("delimiter", ",");
    if (d.equals("\\t") || d.equalsIgnoreCase("tab")) {
      return '\t';
    }
    if (d.length() != 1 || d.charAt(0) == '"' || d.charAt(0) == '\n' || d.charAt(0) == '\r') {
      throw GraftException.invalidArgument(
          "spec.options[delimiter]", "INVALID_OPTION",
          "delimiter " + Echo.quote(d) + " must be one character other than a quote or a line break");
    }
    return d.charAt(0);
  }

  /** Column indexes resolved from the header; -1 when unused. */
  private static final class Columns {
    final int text;
    final int pair;
    final int label;
    final int value;
    final String labelName;
    final String valueName;

    Columns(List<String> header, long line, DatasetSpecRecord spec) {
      Map<String, Integer> index = new HashMap<>();
      for (int i = header.size() - 1; i >= 0; i--) {
        index.put(header.get(i).strip(), i);
      }
      text = require(index, header, line, spec.option("text_column", "text"), "text_column");
      String pairName = spec.option("pair_column", "");
      pair = pairName.isEmpty() ? -1 : require(index, header, line, pairName, "pair_column");
      labelName = spec.option("label_column", "label");
      String valueOption = spec.option("value_column", "");
      boolean regression = !valueOption.isEmpty()
          || (!spec.options().containsKey("label_column") && !index.containsKey(labelName) && index.containsKey("value"));
      valueName = valueOption.isEmpty() ? "value" : valueOption;
      value = regression ? require(index, header, line, valueName, "value_column") : -1;
      label = regression ? -1 : require(index, header, line, labelName, "label_column");
    }

    private static int require(Map<String, Integer> index, List<String> header, long line, String name, String option) {
      Integer i = index.get(name);
      if (i == null) {
        throw RecordErrors.at(line, name,
            "the header has no column \"" + Echo.cut(name) + "\" (columns: " + Echo.cut(String.join(", ", header))
                + "); set the option " + option);
      }
      return i;
    }
  }
}
