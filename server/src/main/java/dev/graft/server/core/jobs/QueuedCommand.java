package dev.graft.server.core.jobs;

import dev.graft.server.core.store.JsonCodec;
import dev.graft.server.security.Principal;
import dev.graft.server.security.Role;
import dev.graft.spi.Hyperparameters;
import dev.graft.spi.Task;
import java.util.Map;
import java.util.Optional;

/**
 * A {@link TrainCommand} as the cluster's queue keeps it (JSON), so that any replica can run a
 * job another one accepted. Only commands whose data are stored datasets travel: examples sent
 * inline stay with the replica that received them ({@link #travels}).
 */
record QueuedCommand(
    String baseModel,
    String strategy,
    String outputModel,
    Task task,
    String trainDataset,
    String validationDataset,
    float validationSplit,
    Hyperparameters hyperparameters,
    String devicePool,
    int priority,
    Map<String, String> labels,
    String principal,
    Role role,
    boolean authenticated) {

  /** Whether {@code command} can run on another replica: all its data are stored datasets. */
  static boolean travels(TrainCommand command) {
    return command.train() instanceof TrainCommand.DataRef.Dataset
        && command.validation().map(v -> v instanceof TrainCommand.DataRef.Dataset).orElse(true);
  }

  /** The queued form of a command that {@link #travels}. */
  static String encode(JsonCodec json, TrainCommand c) {
    if (!travels(c)) {
      throw new IllegalArgumentException("a command with inline examples does not travel");
    }
    String validation = c.validation().map(v -> ((TrainCommand.DataRef.Dataset) v).idOrName()).orElse("");
    return json.toJson(new QueuedCommand(c.baseModel(), c.strategy(), c.outputModel(), c.task(),
        ((TrainCommand.DataRef.Dataset) c.train()).idOrName(), validation, c.validationSplit(), c.hyperparameters(),
        c.devicePool(), c.priority(), c.labels(), c.principal().name(), c.principal().role(),
        c.principal().authenticated()));
  }

  /**
   * The command again.
   *
   * @throws com.google.gson.JsonParseException when the text is not a queued command
   */
  static TrainCommand decode(JsonCodec json, String text) {
    QueuedCommand q = json.fromJson(text, QueuedCommand.class);
    Optional<TrainCommand.DataRef> validation = q.validationDataset() == null || q.validationDataset().isEmpty()
        ? Optional.empty() : Optional.of(new TrainCommand.DataRef.Dataset(q.validationDataset()));
    return new TrainCommand(q.baseModel(), q.strategy(), q.outputModel(), q.task(),
        new TrainCommand.DataRef.Dataset(q.trainDataset()), validation, q.validationSplit(), q.hyperparameters(),
        q.devicePool(), q.priority(), q.labels() == null ? Map.of() : q.labels(),
        new Principal(q.principal(), q.role(), q.authenticated()));
  }
}
