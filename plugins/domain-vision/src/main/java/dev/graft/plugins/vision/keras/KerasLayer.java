package dev.graft.plugins.vision.keras;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.List;

/**
 * One layer of a Keras functional model as TF.js stores it: its name, class, config and the
 * names of the layers feeding it (first inbound node only; shared layers are not supported).
 * Immutable apart from the JSON it wraps, which nobody changes.
 */
public record KerasLayer(String name, String className, JsonObject config, List<String> inbound) {
  public KerasLayer {
    inbound = List.copyOf(inbound);
  }

  /** An int config value, or {@code fallback} when absent or null. */
  int intValue(String key, int fallback) {
    JsonElement e = config.get(key);
    return e == null || e.isJsonNull() ? fallback : e.getAsInt();
  }

  /** A string config value, or {@code fallback}. */
  String string(String key, String fallback) {
    JsonElement e = config.get(key);
    return e == null || e.isJsonNull() ? fallback : e.getAsString();
  }

  /** A double config value, or {@code fallback}. */
  double number(String key, double fallback) {
    JsonElement e = config.get(key);
    return e == null || e.isJsonNull() ? fallback : e.getAsDouble();
  }

  boolean flag(String key, boolean fallback) {
    JsonElement e = config.get(key);
    return e == null || e.isJsonNull() ? fallback : e.getAsBoolean();
  }

  boolean has(String key) {
    JsonElement e = config.get(key);
    return e != null && !e.isJsonNull();
  }

  /** A pair like {@code kernel_size}: [a, b] or a single int used twice. */
  int[] pair(String key, int fallback) {
    JsonElement e = config.get(key);
    if (e == null || e.isJsonNull()) {
      return new int[] {fallback, fallback};
    }
    if (e.isJsonArray()) {
      JsonArray a = e.getAsJsonArray();
      return new int[] {a.get(0).getAsInt(), a.get(a.size() > 1 ? 1 : 0).getAsInt()};
    }
    return new int[] {e.getAsInt(), e.getAsInt()};
  }

  /** A config problem, worded for the user. */
  UnsupportedModelException unsupported(String what) {
    return new UnsupportedModelException("layer '" + name + "' (" + className + "): " + what);
  }
}
