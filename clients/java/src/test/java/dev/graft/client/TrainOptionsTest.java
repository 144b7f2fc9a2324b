package dev.graft.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.api.v1.DataSource;
import dev.graft.api.v1.Task;
import dev.graft.api.v1.TrainRequest;
import dev.graft.client.TrainOptions.Strategy;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** TrainOptions: every typed setter lands in its TrainRequest field, and build() refuses what the server would. */
class TrainOptionsTest {
  @Test
  void everySetterLandsInTheRequest() {
    TrainRequest r = TrainOptions.builder("minilm-l6", Strategy.FINE_TUNING, "reviews")
        .dataset("ds-1")
        .validationDataset("ds-2")
        .task(Task.TASK_CLASSIFICATION)
        .epochs(30)
        .batchSize(16)
        .learningRate(0.001)
        .weightDecay(0.01)
        .earlyStoppingPatience(3)
        .seed(7)
        .extra("max_tokens", "64")
        .devicePool("gpu")
        .priority(5)
        .label("team", "search")
        .build()
        .toRequest();
    assertEquals("minilm-l6", r.getBaseModel());
    assertEquals("fine-tuning", r.getStrategy());
    assertEquals("reviews", r.getOutputModel());
    assertEquals("ds-1", r.getTrain().getDataset());
    assertEquals("ds-2", r.getValidation().getDataset());
    assertEquals(Task.TASK_CLASSIFICATION, r.getTask());
    assertEquals(30, r.getHyperparameters().getEpochs());
    assertEquals(16, r.getHyperparameters().getBatchSize());
    assertEquals(0.001f, r.getHyperparameters().getLearningRate());
    assertEquals(0.01f, r.getHyperparameters().getWeightDecay());
    assertEquals(3, r.getHyperparameters().getEarlyStoppingPatience());
    assertEquals(7L, r.getHyperparameters().getSeed());
    assertEquals(Map.of("max_tokens", "64"), r.getHyperparameters().getExtraMap());
    assertEquals("gpu", r.getDevicePool());
    assertEquals(5, r.getPriority());
    assertEquals(Map.of("team", "search"), r.getLabelsMap());
  }

  @Test
  void unsetValuesAreTheServersDefaultsAndExamplesGoInline() {
    TrainRequest r = TrainOptions.builder("minilm-l6", "my-plugin-strategy", "out")
        .examples(List.of(Inputs.labelled("great", "positive"), Inputs.labelled("awful", "negative")))
        .validationSplit(0.25)
        .build()
        .toRequest();
    assertEquals("my-plugin-strategy", r.getStrategy());
    assertEquals(DataSource.SourceCase.EXAMPLES, r.getTrain().getSourceCase());
    assertEquals(2, r.getTrain().getExamples().getExamplesCount());
    assertEquals("positive", r.getTrain().getExamples().getExamples(0).getTarget().getLabel());
    assertEquals(0.25f, r.getValidationSplit());
    assertFalse(r.hasValidation());
    assertEquals(0, r.getHyperparameters().getEpochs());
    assertEquals(Task.TASK_UNSPECIFIED, r.getTask());
  }

  @Test
  void strategyIdsAreTheApis() {
    assertEquals("feature-extraction", Strategy.FEATURE_EXTRACTION.id());
    assertEquals("knowledge-transfer", Strategy.KNOWLEDGE_TRANSFER.id());
    assertEquals("fine-tuning", Strategy.FINE_TUNING.id());
  }

  @Test
  void buildNamesEveryMissingRequiredField() {
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> TrainOptions.builder("", "", "").build());
    for (String field : List.of("baseModel", "strategy", "outputModel", "training data")) {
      assertTrue(e.getMessage().contains(field), e.getMessage());
    }
  }

  @Test
  void buildRefusesValuesOutOfRange() {
    TrainOptions.Builder ok = TrainOptions.builder("m", Strategy.FEATURE_EXTRACTION, "o").dataset("d");
    assertTrue(assertThrows(IllegalArgumentException.class, () -> ok.validationSplit(1.0).build())
        .getMessage().contains("validationSplit"));
    ok.validationSplit(0);
    assertTrue(assertThrows(IllegalArgumentException.class, () -> ok.epochs(-1).build()).getMessage().contains("epochs"));
    ok.epochs(0);
    assertTrue(assertThrows(IllegalArgumentException.class, () -> ok.learningRate(Double.NaN).build())
        .getMessage().contains("learningRate"));
    ok.learningRate(0.01);
    TrainOptions.Builder both = TrainOptions.builder("m", Strategy.FEATURE_EXTRACTION, "o").dataset("d")
        .validationDataset("v").validationSplit(0.2);
    assertTrue(assertThrows(IllegalArgumentException.class, both::build).getMessage().contains("not both"));
    assertThrows(IllegalArgumentException.class, () -> ok.examples(List.of()));
    assertEquals(0.01f, ok.build().toRequest().getHyperparameters().getLearningRate());
  }
}
