package dev.graft.spi;

import ai.djl.Device;
import java.nio.file.Path;
import java.util.Map;

/**
 * A stored trained model to load for serving. Immutable.
 *
 * @param name the model's {@code name@version}
 * @param directory its files, as the strategy wrote them (read-only)
 * @param task its task and labels
 * @param properties what {@link TrainOutcome#properties()} returned
 * @param backbone the base model's backbone, borrowed: do not close it
 * @param device where to run
 */
public record LoadContext(
    String name,
    Path directory,
    TaskSpec task,
    Map<String, String> properties,
    Backbone backbone,
    Device device) {
  public LoadContext {
    properties = Map.copyOf(properties);
  }
}
