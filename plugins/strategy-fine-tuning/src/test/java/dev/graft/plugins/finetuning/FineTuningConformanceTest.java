package dev.graft.plugins.finetuning;

import dev.graft.plugins.conformance.AbstractStrategyPluginTest;
import dev.graft.plugins.conformance.StrategyFixture;
import dev.graft.plugins.trainingkit.testing.Texts;
import dev.graft.spi.BaseModel;
import dev.graft.spi.Example;
import dev.graft.spi.Hyperparameters;
import dev.graft.spi.StrategyPlugin;
import dev.graft.spi.Task;
import dev.graft.spi.TaskSpec;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** Fine-tuning passes the plugin conformance suite: one short epoch of MiniLM's top group at 16 tokens. */
class FineTuningConformanceTest extends AbstractStrategyPluginTest {
  private final FineTuningStrategy strategy = new FineTuningStrategy();

  @Override
  protected StrategyPlugin plugin() {
    return strategy;
  }

  @Override
  protected StrategyFixture fixture(Path dir) throws Exception {
    BaseModel base = Texts.builtin("minilm-l6", dir.resolve("minilm"));
    List<Example> all = Texts.sentiment();
    return new StrategyFixture(Texts.open(base), base,
        new TaskSpec(Task.CLASSIFICATION, List.of("negative", "positive")),
        all.subList(0, 16), all.subList(16, 24),
        new Hyperparameters(1, 8, 0, 0, 0, 7, Map.of("max_tokens", "16", "unfreeze", "1")));
  }

  @Override
  protected Map<String, Hyperparameters> invalidHyperparameters() {
    return Map.of(
        "hyperparameters.extra[unfreeze]",
        new Hyperparameters(1, 8, 0, 0, 0, 7, Map.of("unfreeze", "some")),
        "hyperparameters.epochs", new Hyperparameters(500_000, 0, 0, 0, 0, 0, Map.of()));
  }
}
