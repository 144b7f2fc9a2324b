package dev.graft.server.api;

import dev.graft.api.v1.EstimateTransferRequest;
import dev.graft.api.v1.EstimateTransferResponse;
import dev.graft.api.v1.TransferEstimate;
import dev.graft.server.core.estimate.EstimateCommand;
import dev.graft.server.core.estimate.EstimateResult;
import dev.graft.server.security.Principal;
import dev.graft.spi.GraftException;

/** EstimateTransfer's messages to and from the core's {@link EstimateCommand} and {@link EstimateResult}. */
final class TransferEstimates {
  private TransferEstimates() {}

  static EstimateCommand command(EstimateTransferRequest r, Principal principal) {
    if (!r.hasData()) {
      throw GraftException.invalidArgument("data", "MISSING_FIELD", "data is required: a dataset or examples");
    }
    return new EstimateCommand(TrainingServiceImpl.data(r.getData(), "data"), ResourceMapper.task(r.getTask(), "task"),
        r.getBaseModelsList(), r.getMaxExamples(), principal);
  }

  static EstimateTransferResponse response(EstimateResult result) {
    EstimateTransferResponse.Builder out = EstimateTransferResponse.newBuilder()
        .setTask(ResourceMapper.task(result.task()))
        .setExamples(result.examples());
    for (var e : result.estimates()) {
      TransferEstimate.Builder b = TransferEstimate.newBuilder()
          .setBaseModel(e.baseModel())
          .setLogme(e.logme())
          .setDimension(e.dimension())
          .setSeconds(e.seconds())
          .setCached(e.cached());
      e.probeScore().ifPresent(b::setProbeScore);
      out.addEstimates(b);
    }
    return out.build();
  }
}
