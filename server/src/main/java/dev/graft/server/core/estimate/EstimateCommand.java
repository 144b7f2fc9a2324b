package dev.graft.server.core.estimate;

import dev.graft.server.core.jobs.TrainCommand;
import dev.graft.server.security.Principal;
import dev.graft.spi.Task;
import java.util.List;

/**
 * What to rank: labelled data (a dataset or inline examples), its task (null = inferred from the
 * targets), the candidate base models (empty = every base model of the data's domain) and how many
 * examples at most to score (0 = {@value TransferEstimator#DEFAULT_MAX_EXAMPLES}). Immutable.
 */
public record EstimateCommand(
    TrainCommand.DataRef data, Task task, List<String> baseModels, int maxExamples, Principal principal) {
  public EstimateCommand {
    baseModels = List.copyOf(baseModels);
  }
}
