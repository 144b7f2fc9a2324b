package dev.graft.server.core.store;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import dev.graft.server.core.Echo;
import dev.graft.spi.Example;
import dev.graft.spi.ModelInput;
import dev.graft.spi.Target;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * JSONL datasets: one JSON object per line, blank lines skipped. Input: {@code "text"} (with an
 * optional {@code "pair"}), {@code "series"} (numbers, with an optional {@code "channels"}) or
 * {@code "image"} (base64, optionally as a data URL). Target: {@code "label"} (string, or a number
 * taken as text), {@code "value"} (number) or {@code "values"} (numbers). Other fields are
 * ignored. Options rename fields: {@code text_field}, {@code pair_field}, {@code label_field},
 * {@code value_field}, {@code values_field}, {@code series_field}, {@code image_field}.
 *
 * <p>Errors are INVALID_ARGUMENT, reason INVALID_DATASET_RECORD, field {@code data[line N].FIELD}
 * ({@code data[line N]} for bad JSON), message {@code line N: ...}. Stateless and thread-safe.
 */
public final class JsonlDatasetParser implements DatasetParser {

  private static final java.util.regex.Pattern COLUMN = java.util.regex.Pattern.compile("column (\\d+)");

  /** " (near column N)" from a parser message, or "" — the parser's own advice is not for users. */
  private static String column(Exception e) {
    java.util.regex.Matcher m = COLUMN.matcher(String.valueOf(e.getMessage()));
    return m.find() ? " (near column " + m.group(1) + ")" : "";
  }

  /** The options: renamed fields. */
  static final Set<String> OPTIONS = Set.of(
      "text_field", "pair_field", "label_field", "value_field", "values_field", "series_field", "image_field");

  @Override
  public void validate(DatasetSpecRecord spec) {
    DatasetOptions.requireKnown(spec, OPTIONS);
  }

  @Override
  public List<Example> parse(Map<String, Path> parts, DatasetSpecRecord spec, ParseBudget budget) {
    RecordErrors.onlyParts(parts, Set.of(""), "JSONL");
    Path main = parts.get("");
    if (main == null) {
      return List.of();
    }
    Fields f = new Fields(spec);
    List<Example> out = new ArrayList<>();
    try (InputStream in = new BufferedInputStream(Files.newInputStream(main), 1 << 16)) {
      LineReader lines = new LineReader(in);
      String firstTarget = null;
      long firstTargetLine = 0;
      for (String line = lines.next(); line != null; line = lines.next()) {
        if (line.isBlank()) {
          continue;
        }
        long n = lines.number();
        JsonObject obj = parseObject(line, n);
        ModelInput input = input(obj, f, n);
        String targetField = only(obj, n, "target", f.label, f.value, f.values);
        if (targetField == null) {
          throw RecordErrors.at(n, f.label,
              "missing \"" + f.label + "\": each line needs a target, \"" + f.label + "\", \"" + f.value + "\" or \""
                  + f.values + "\"");
        }
        if (firstTarget == null) {
          firstTarget = targetField;
          firstTargetLine = n;
        } else if (!firstTarget.equals(targetField)) {
          throw RecordErrors.at(n, targetField,
              "has \"" + targetField + "\" but line " + firstTargetLine + " has \"" + firstTarget
                  + "\": every line needs the same kind of target");
        }
        Example example = new Example(input, target(obj, targetField, f, n));
        budget.addLine(example, n);
        out.add(example);
      }
    } catch (IOException e) {
      throw RecordErrors.io(e);
    }
    return out;
  }

  private static JsonObject parseObject(String line, long n) {
    JsonElement element;
    try {
      JsonReader reader = new JsonReader(new StringReader(line));
      reader.setStrictness(Strictness.STRICT);
      element = JsonParser.parseReader(reader);
      if (reader.peek() != JsonToken.END_DOCUMENT) {
        throw RecordErrors.at(n, "not valid JSON: text after the object");
      }
    } catch (JsonParseException | IOException | IllegalStateException e) {
      throw RecordErrors.at(n, "not valid JSON" + column(e));
    }
    if (!element.isJsonObject()) {
      throw RecordErrors.at(n, "expected a JSON object, found " + kind(element));
    }
    return element.getAsJsonObject();
  }

  private static ModelInput input(JsonObject obj, Fields f, long n) {
    String field = only(obj, n, "input", f.text, f.series, f.image);
    if (field == null) {
      throw RecordErrors.at(n, "no input: each line needs \"" + f.text + "\", \"" + f.series + "\" or \"" + f.image + "\"");
    }
    if (field.equals(f.text)) {
      String pair = present(obj, f.pair) ? string(obj, f.pair, n) : "";
      return new ModelInput.Text(string(obj, f.text, n), pair);
    }
    if (field.equals(f.series)) {
      float[] values = numbers(obj, f.series, n);
      int channels = 1;
      if (present(obj, "channels")) {
        float c = number(obj, "channels", n);
        if (c < 1 || c != Math.rint(c)) {
          throw RecordErrors.at(n, "channels", "\"channels\" must be a positive whole number");
        }
        channels = (int) c;
      }
      if (values.length % channels != 0) {
        throw RecordErrors.at(n, f.series,
            "\"" + f.series + "\" has " + values.length + " values, not a multiple of " + channels + " channels");
      }
      return new ModelInput.Series(values, channels);
    }
    String text = string(obj, f.image, n);
    int comma = text.startsWith("data:") ? text.indexOf(',') : -1;
    try {
      byte[] bytes = Base64.getDecoder().decode(comma >= 0 ? text.substring(comma + 1) : text);
      if (bytes.length == 0) {
        throw RecordErrors.at(n, f.image, "\"" + f.image + "\" is empty");
      }
      if (ImageSignatures.format(bytes) == null) {
        throw RecordErrors.at(n, f.image, "\"" + f.image + "\" is not a PNG, JPEG, BMP or GIF image");
      }
      return new ModelInput.Image(bytes);
    } catch (IllegalArgumentException e) {
      throw RecordErrors.at(n, f.image, "\"" + f.image + "\" is not base64: " + Echo.cut(e.getMessage()));
    }
  }

  private static Target target(JsonObject obj, String field, Fields f, long n) {
    if (field.equals(f.label)) {
      JsonElement e = obj.get(field);
      if (!e.isJsonPrimitive() || e.getAsJsonPrimitive().isBoolean()) {
        throw RecordErrors.at(n, field, "\"" + field + "\" must be a string or a number, not " + kind(e));
      }
      String label = e.getAsString();
      if (label.isEmpty()) {
        throw RecordErrors.at(n, field, "\"" + field + "\" is empty");
      }
      if (label.length() > DatasetStats.MAX_LABEL_CHARS) {
        throw RecordErrors.at(n, field, "\"" + field + "\" is " + label.length() + " characters long; a label has at"
            + " most " + DatasetStats.MAX_LABEL_CHARS);
      }
      return new Target.Label(label);
    }
    if (field.equals(f.value)) {
      return new Target.Value(number(obj, field, n));
    }
    return new Target.Values(numbers(obj, field, n));
  }

  /** The one field of {@code names} present (non-null) in {@code obj}, or null if none. */
  private static String only(JsonObject obj, long n, String what, String... names) {
    String found = null;
    for (String name : names) {
      if (present(obj, name)) {
        if (found != null) {
          throw RecordErrors.at(n, name, "has both \"" + found + "\" and \"" + name + "\": give one " + what);
        }
        found = name;
      }
    }
    return found;
  }

  private static boolean present(JsonObject obj, String name) {
    JsonElement e = obj.get(name);
    return e != null && !e.isJsonNull();
  }

  private static String string(JsonObject obj, String name, long n) {
    JsonElement e = obj.get(name);
    if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
      throw RecordErrors.at(n, name, "\"" + name + "\" must be a string, not " + kind(e));
    }
    return e.getAsString();
  }

  private static float number(JsonObject obj, String name, long n) {
    JsonElement e = obj.get(name);
    if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
      throw RecordErrors.at(n, name, "\"" + name + "\" must be a number, not " + kind(e));
    }
    float v = e.getAsFloat();
    if (!Float.isFinite(v)) {
      throw RecordErrors.at(n, name, "\"" + name + "\" is out of range for a 32-bit float");
    }
    return v;
  }

  private static float[] numbers(JsonObject obj, String name, long n) {
    JsonElement e = obj.get(name);
    if (!e.isJsonArray()) {
      throw RecordErrors.at(n, name, "\"" + name + "\" must be an array of numbers, not " + kind(e));
    }
    JsonArray array = e.getAsJsonArray();
    if (array.isEmpty()) {
      throw RecordErrors.at(n, name, "\"" + name + "\" is empty");
    }
    float[] out = new float[array.size()];
    for (int i = 0; i < out.length; i++) {
      JsonElement item = array.get(i);
      if (!item.isJsonPrimitive() || !item.getAsJsonPrimitive().isNumber() || !Float.isFinite(item.getAsFloat())) {
        throw RecordErrors.at(n, name, "\"" + name + "\"[" + i + "] is not a finite number: " + Echo.cut(item));
      }
      out[i] = item.getAsFloat();
    }
    return out;
  }

  private static String kind(JsonElement e) {
    if (e.isJsonNull()) {
      return "null";
    }
    if (e.isJsonObject()) {
      return "an object";
    }
    if (e.isJsonArray()) {
      return "an array";
    }
    JsonPrimitive p = e.getAsJsonPrimitive();
    return p.isBoolean() ? "a boolean" : p.isNumber() ? "a number" : "a string";
  }

  /** The field names to read, after the spec's renames. */
  private static final class Fields {
    final String text;
    final String pair;
    final String label;
    final String value;
    final String values;
    final String series;
    final String image;

    Fields(DatasetSpecRecord spec) {
      text = spec.option("text_field", "text");
      pair = spec.option("pair_field", "pair");
      label = spec.option("label_field", "label");
      value = spec.option("value_field", "value");
      values = spec.option("values_field", "values");
      series = spec.option("series_field", "series");
      image = spec.option("image_field", "image");
    }
  }
}
