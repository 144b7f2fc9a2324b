package dev.graft.server.core.estimate;

import dev.graft.spi.Task;
import java.util.List;

/** The ranking: estimates best first (by LogME), the task scored and how many examples were scored. */
public record EstimateResult(List<TransferEstimate> estimates, Task task, int examples) {
  public EstimateResult {
    estimates = List.copyOf(estimates);
  }
}
