package dev.graft.plugins.knowledgetransfer;

import dev.graft.plugins.trainingkit.GroupPlan;
import dev.graft.plugins.trainingkit.StrategyOptions;
import dev.graft.plugins.trainingkit.TransferJob;
import dev.graft.plugins.trainingkit.TransferModel;
import dev.graft.plugins.trainingkit.TransferSettings;
import dev.graft.spi.GraftException;
import dev.graft.spi.Hyperparameters;
import dev.graft.spi.LoadContext;
import dev.graft.spi.StrategyPlugin;
import dev.graft.spi.TaskSpec;
import dev.graft.spi.TrainContext;
import dev.graft.spi.TrainOutcome;
import dev.graft.spi.TrainedModel;

/**
 * The {@code knowledge-transfer} strategy: the base model's whole architecture and pretrained
 * parameters go into the new model with a fresh task head, and every parameter group trains at
 * the same learning rate (warm-up then decay, gradient clipping, early stopping, a checkpoint per
 * epoch — see {@link TransferJob}). Works on any backbone whose domain offers a trainable copy
 * ({@link dev.graft.spi.Backbone#openTrainable}); others are refused with the domain's reason.
 *
 * <p>Options in {@code hyperparameters.extra}: {@code warmup}, {@code schedule}, {@code clip_norm},
 * {@code head_dropout}, {@code head_lr_scale}, {@code linear_probe} (default false: the head
 * starts random), {@code resume_from}, {@code max_non_finite_steps} (default 3, from 1 to 1000:
 * a step whose loss or gradient is not finite is skipped and counted, and that many in a row
 * fail the job with {@code FAILED_PRECONDITION NON_FINITE_GRADIENTS}, naming the first
 * parameter whose weight or gradient was not finite); every other key goes to the
 * backbone (text: {@code layer}, {@code pooling}, {@code max_tokens}, {@code truncation}).
 *
 * <p>Memory: a job frees its trainable copy, head and optimizer state however it ends (success,
 * failure, cancellation, divergence) — see {@link TransferJob}.
 *
 * <p>Thread-safety: stateless; {@link #train} runs concurrently for different jobs.
 */
public final class KnowledgeTransferStrategy implements StrategyPlugin {
  /** The strategy id. */
  public static final String ID = "knowledge-transfer";
  /** Defaults: 3 epochs of 16 at 3e-5 (head ×10), 10% warm-up then linear decay, clip 1.0. */
  public static final TransferSettings.Defaults DEFAULTS = new TransferSettings.Defaults(
      3, 16, 3e-5f, 0.01f, 2, 0.1f, TransferSettings.Schedule.LINEAR, 1f, 0.1f, 10f, false);

  /** For {@link java.util.ServiceLoader}. */
  public KnowledgeTransferStrategy() {}

  @Override
  public String id() {
    return ID;
  }

  @Override
  public void validate(Hyperparameters hyperparameters, TaskSpec task) {
    if (task == null || task.task() == null) {
      throw GraftException.invalidArgument("task", "TASK_NOT_SUPPORTED", "the job has no task");
    }
    TransferSettings.from(hyperparameters, options(hyperparameters), DEFAULTS);
  }

  @Override
  public TrainOutcome train(TrainContext context) {
    validate(context.hyperparameters(), context.task());
    StrategyOptions options = options(context.hyperparameters());
    TransferSettings settings = TransferSettings.from(context.hyperparameters(), options,
        DEFAULTS.recommendedBy(context.baseModel(), ID));
    return new TransferJob(ID, context, settings, GroupPlan.all(), options).run();
  }

  @Override
  public TrainedModel load(LoadContext context) {
    return TransferModel.load(context);
  }

  private static StrategyOptions options(Hyperparameters h) {
    return new StrategyOptions(h.extra(), TransferSettings.KEYS);
  }
}
