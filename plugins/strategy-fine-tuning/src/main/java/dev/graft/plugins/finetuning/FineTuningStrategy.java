package dev.graft.plugins.finetuning;

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
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * The {@code fine-tuning} strategy: a fresh task head on the pretrained backbone, with only the
 * top {@code k} parameter groups unfrozen, layer-wise learning-rate decay below the head,
 * warm-up then decay, gradient clipping, early stopping on the validation score, optional
 * gradual unfreezing, and a checkpoint per epoch (see {@link TransferJob}). Works on any backbone
 * whose domain offers a trainable copy; others are refused with the domain's reason.
 *
 * <p>Options in {@code hyperparameters.extra}: {@code unfreeze} (groups from the top: an
 * integer, {@code all}, or {@code half} — the default, the top half rounded up: 4 of MiniLM's 7
 * groups), {@code layer_decay} (default {@value #DEFAULT_LAYER_DECAY}), {@code gradual_unfreeze}
 * (default false), and those of {@link TransferSettings} — among them {@code max_non_finite_steps}
 * (default 3, from 1 to 1000): a step whose loss or gradient is not finite is skipped and
 * counted, and that many in a row fail the job with {@code FAILED_PRECONDITION
 * NON_FINITE_GRADIENTS}, naming the first parameter whose weight or gradient was not finite;
 * every other key goes to the backbone. A job frees its trainable copy, head and optimizer state
 * however it ends (see {@link TransferJob}).
 *
 * <p>Thread-safety: stateless; {@link #train} runs concurrently for different jobs.
 */
public final class FineTuningStrategy implements StrategyPlugin {
  /** The strategy id. */
  public static final String ID = "fine-tuning";
  public static final String UNFREEZE = "unfreeze";
  public static final String LAYER_DECAY = "layer_decay";
  public static final String GRADUAL_UNFREEZE = "gradual_unfreeze";
  public static final float DEFAULT_LAYER_DECAY = 0.9f;
  /**
   * Defaults: a linear probe, then 4 epochs of 16 at 5e-5 (head ×10), 10% warm-up then linear
   * decay, clip 1.0.
   */
  public static final TransferSettings.Defaults DEFAULTS = new TransferSettings.Defaults(
      4, 16, 5e-5f, 0.01f, 2, 0.1f, TransferSettings.Schedule.LINEAR, 1f, 0.1f, 10f, true);
  private static final Set<String> KEYS = keys();

  /** For {@link java.util.ServiceLoader}. */
  public FineTuningStrategy() {}

  @Override
  public String id() {
    return ID;
  }

  @Override
  public void validate(Hyperparameters hyperparameters, TaskSpec task) {
    if (task == null || task.task() == null) {
      throw GraftException.invalidArgument("task", "TASK_NOT_SUPPORTED", "the job has no task");
    }
    StrategyOptions options = options(hyperparameters);
    TransferSettings.from(hyperparameters, options, DEFAULTS);
    plan(options);
  }

  @Override
  public TrainOutcome train(TrainContext context) {
    validate(context.hyperparameters(), context.task());
    StrategyOptions options = options(context.hyperparameters());
    TransferSettings settings = TransferSettings.from(context.hyperparameters(), options,
        DEFAULTS.recommendedBy(context.baseModel(), ID));
    return new TransferJob(ID, context, settings, plan(options), options).run();
  }

  @Override
  public TrainedModel load(LoadContext context) {
    return TransferModel.load(context);
  }

  /** The groups to train as the options say. */
  static GroupPlan plan(StrategyOptions options) {
    String raw = options.text(UNFREEZE).orElse("half").toLowerCase(Locale.ROOT);
    int unfrozen;
    switch (raw) {
      case "all" -> unfrozen = GroupPlan.ALL;
      case "half" -> unfrozen = GroupPlan.HALF;
      default -> {
        try {
          unfrozen = Integer.parseInt(raw);
        } catch (NumberFormatException e) {
          unfrozen = -1;
        }
        if (unfrozen < 0) {
          throw StrategyOptions.invalid(UNFREEZE, "unfreeze must be all, half or how many"
              + " parameter groups to train from the top (0 = the head only), got '" + raw + "'");
        }
      }
    }
    float decay = options.number(LAYER_DECAY, DEFAULT_LAYER_DECAY, 0.05f, 1f);
    return new GroupPlan(unfrozen, decay, options.flag(GRADUAL_UNFREEZE, false));
  }

  private static StrategyOptions options(Hyperparameters h) {
    return new StrategyOptions(h.extra(), KEYS);
  }

  private static Set<String> keys() {
    Set<String> keys = new HashSet<>(TransferSettings.KEYS);
    keys.addAll(Set.of(UNFREEZE, LAYER_DECAY, GRADUAL_UNFREEZE));
    return Set.copyOf(keys);
  }
}
