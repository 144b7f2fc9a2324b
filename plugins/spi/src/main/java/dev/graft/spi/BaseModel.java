package dev.graft.spi;

import java.nio.file.Path;
import java.util.Map;

/**
 * A stored base model as a domain sees it: its directory of files and its manifest properties.
 * Immutable.
 *
 * @param name the model's {@code name@version}
 * @param directory the folder holding the model's files (read-only for plugins)
 * @param format the stored format ("onnx", "torchscript", ...)
 * @param properties free-form properties from the manifest (e.g. "max_tokens", "pooling")
 */
public record BaseModel(String name, Path directory, String format, Map<String, String> properties) {
  public BaseModel {
    properties = Map.copyOf(properties);
  }

  /** A property, or {@code fallback} when it is absent. */
  public String property(String key, String fallback) {
    return properties.getOrDefault(key, fallback);
  }
}
