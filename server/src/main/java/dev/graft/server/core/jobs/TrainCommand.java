package dev.graft.server.core.jobs;

import dev.graft.server.security.Principal;
import dev.graft.spi.Example;
import dev.graft.spi.Hyperparameters;
import dev.graft.spi.Task;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A request to train, free of transport types. Immutable.
 *
 * @param task the task, or null to infer it from the targets
 * @param validation a separate validation source, or empty to split one off {@code train}
 * @param validationSplit the fraction split off when there is no validation source (0 = default)
 * @param principal who submits it: the job's and its model's {@code created_by}, and whose data it may use
 */
public record TrainCommand(
    String baseModel,
    String strategy,
    String outputModel,
    Task task,
    DataRef train,
    Optional<DataRef> validation,
    float validationSplit,
    Hyperparameters hyperparameters,
    String devicePool,
    int priority,
    Map<String, String> labels,
    Principal principal) {

  public TrainCommand {
    labels = Map.copyOf(labels);
  }

  /** Training data: a stored dataset, or examples sent inline. */
  public sealed interface DataRef {
    /** A dataset id or name. */
    record Dataset(String idOrName) implements DataRef {}

    /** Examples sent with the request. */
    record Inline(List<Example> examples) implements DataRef {
      public Inline {
        examples = List.copyOf(examples);
      }
    }
  }
}
