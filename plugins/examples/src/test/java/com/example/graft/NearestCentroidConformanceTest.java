package com.example.graft;

import dev.graft.plugins.conformance.AbstractStrategyPluginTest;
import dev.graft.plugins.conformance.StrategyFixture;
import dev.graft.spi.BaseModel;
import dev.graft.spi.Example;
import dev.graft.spi.Hyperparameters;
import dev.graft.spi.ModelInput;
import dev.graft.spi.StrategyPlugin;
import dev.graft.spi.Target;
import dev.graft.spi.Task;
import dev.graft.spi.TaskSpec;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The example strategy passes Graft's plugin conformance suite (no engine needed: a letter-count backbone). */
class NearestCentroidConformanceTest extends AbstractStrategyPluginTest {

  @Override
  protected StrategyPlugin plugin() {
    return new NearestCentroidStrategy();
  }

  @Override
  protected StrategyFixture fixture(Path dir) {
    List<Example> train = List.of(
        example("abba cab", "early"), example("xyz zoo", "late"),
        example("a bad cab", "early"), example("you wry zed", "late"));
    List<Example> validation = List.of(example("dab", "early"), example("sty", "late"));
    return new StrategyFixture(new LetterBackbone(), new BaseModel("letters@1", dir, "none", Map.of()),
        new TaskSpec(Task.CLASSIFICATION, List.of("early", "late")), train, validation,
        new Hyperparameters(1, 0, 0, 0, 0, 7, Map.of()));
  }

  @Override
  protected Map<String, Hyperparameters> invalidHyperparameters() {
    return Map.of("hyperparameters.extra[shrinkage]",
        new Hyperparameters(0, 0, 0, 0, 0, 0, Map.of("shrinkage", "0.5")));
  }

  @Override
  protected Optional<ModelInput> unreadableInput() {
    return Optional.of(new ModelInput.Series(new float[] {1, 2}, 1));
  }

  private static Example example(String text, String label) {
    return new Example(new ModelInput.Text(text), new Target.Label(label));
  }
}
