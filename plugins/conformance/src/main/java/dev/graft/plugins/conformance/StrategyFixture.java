package dev.graft.plugins.conformance;

import dev.graft.spi.Backbone;
import dev.graft.spi.BaseModel;
import dev.graft.spi.Example;
import dev.graft.spi.Hyperparameters;
import dev.graft.spi.TaskSpec;
import java.util.List;
import java.util.Objects;

/**
 * What a strategy's conformance tests train on: keep it small (a few dozen examples, one or two
 * short epochs), since the suite trains several times. The suite owns {@code backbone} and closes
 * it after the last test. Immutable.
 *
 * @param backbone the base model's backbone, opened by the fixture
 * @param baseModel the base model as stored
 * @param task the task, with labels for classification
 * @param train training examples
 * @param validation validation examples (at least one: predictions are compared on them)
 * @param hyperparameters settings of a short run the strategy accepts
 */
public record StrategyFixture(
    Backbone backbone,
    BaseModel baseModel,
    TaskSpec task,
    List<Example> train,
    List<Example> validation,
    Hyperparameters hyperparameters) {

  public StrategyFixture {
    Objects.requireNonNull(backbone, "backbone");
    Objects.requireNonNull(baseModel, "baseModel");
    Objects.requireNonNull(task, "task");
    Objects.requireNonNull(hyperparameters, "hyperparameters");
    train = List.copyOf(train);
    validation = List.copyOf(validation);
    if (validation.isEmpty()) {
      throw new IllegalArgumentException("a fixture needs validation examples");
    }
  }
}
