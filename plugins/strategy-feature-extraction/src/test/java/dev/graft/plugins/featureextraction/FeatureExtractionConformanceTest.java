package dev.graft.plugins.featureextraction;

import dev.graft.plugins.conformance.AbstractStrategyPluginTest;
import dev.graft.plugins.conformance.StrategyFixture;
import dev.graft.spi.BaseModel;
import dev.graft.spi.Hyperparameters;
import dev.graft.spi.StrategyPlugin;
import dev.graft.spi.Task;
import dev.graft.spi.TaskSpec;
import java.nio.file.Path;
import java.util.Map;

/** Feature extraction passes the plugin conformance suite: heads on three clusters of a fake backbone. */
class FeatureExtractionConformanceTest extends AbstractStrategyPluginTest {
  private final FeatureExtractionStrategy strategy = new FeatureExtractionStrategy();

  @Override
  protected StrategyPlugin plugin() {
    return strategy;
  }

  @Override
  protected StrategyFixture fixture(Path dir) {
    return new StrategyFixture(new ClusterBackbone(16, 1.0, 0.6, 5),
        new BaseModel("clusters@1", dir, "none", Map.of()),
        new TaskSpec(Task.CLASSIFICATION, Data.LABELS),
        Data.clusters(12, "t"), Data.clusters(6, "v"), Data.hp(4, 0, 7, Map.of()));
  }

  @Override
  protected Map<String, Hyperparameters> invalidHyperparameters() {
    return Map.of(
        "hyperparameters.extra[hidden]", Data.hp(0, 0, 0, Map.of("hidden", "lots")),
        "hyperparameters.extra[dropout]", Data.hp(0, 0, 0, Map.of("dropout", "0.95")));
  }
}
