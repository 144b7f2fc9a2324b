package dev.graft.plugins.finetuning;

import dev.graft.spi.GraftException;
import dev.graft.spi.Hyperparameters;
import dev.graft.spi.LoadContext;
import dev.graft.spi.SpiVersion;
import dev.graft.spi.StrategyPlugin;
import dev.graft.spi.TaskSpec;
import dev.graft.spi.TrainContext;
import dev.graft.spi.TrainOutcome;
import dev.graft.spi.TrainedModel;

/**
 * The {@code fine-tuning} strategy: the top layers unfrozen with per-layer learning rates and early stopping. It needs a trainable backbone (a DJL block with
 * parameter groups), which no built-in domain exposes yet, so every request is refused at once
 * with FAILED_PRECONDITION and the reason rather than training something else. Thread-safe
 * (stateless).
 */
public final class FineTuningStrategy implements StrategyPlugin {

  @Override
  public String id() {
    return "fine-tuning";
  }

  @Override
  public SpiVersion spiVersion() {
    return new SpiVersion(SpiVersion.MAJOR, SpiVersion.MINOR);
  }

  @Override
  public void validate(Hyperparameters hyperparameters, TaskSpec task) {
    throw unavailable();
  }

  @Override
  public TrainOutcome train(TrainContext context) {
    throw unavailable();
  }

  @Override
  public TrainedModel load(LoadContext context) {
    throw unavailable();
  }

  private static GraftException unavailable() {
    return GraftException.failedPrecondition("TRAINABLE_BACKBONE_REQUIRED",
        "strategy 'fine-tuning' needs a trainable backbone; the built-in backbones are inference-only "
            + "(ONNX Runtime) in this version — use 'feature-extraction'");
  }
}
