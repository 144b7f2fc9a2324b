package dev.graft.plugins.featureextraction;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.spi.ErrorKind;
import dev.graft.spi.GraftException;
import dev.graft.spi.Hyperparameters;
import dev.graft.spi.Pooling;
import dev.graft.spi.Task;
import dev.graft.spi.TaskSpec;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ValidationTest {
  private final FeatureExtractionStrategy strategy = new FeatureExtractionStrategy();
  private final TaskSpec task = new TaskSpec(Task.CLASSIFICATION, List.of("a", "b"));

  private static Hyperparameters extra(String key, String value) {
    return new Hyperparameters(0, 0, 0f, 0f, 0, 0, Map.of(key, value));
  }

  @ParameterizedTest
  @CsvSource({
    "hidden, -1", "hidden, 2.5", "hidden, lots", "hidden, 100000",
    "dropout, 0.95", "dropout, -0.1", "dropout, x", "dropout, NaN",
    "pooling, avg", "normalize, yes", "unfreeze, 2"
  })
  void badExtraIsInvalidArgumentNamingTheKey(String key, String value) {
    Hyperparameters h = extra(key, value);
    GraftException e = assertThrows(GraftException.class, () -> strategy.validate(h, task));
    assertEquals(ErrorKind.INVALID_ARGUMENT, e.kind());
    assertEquals("hyperparameters.extra[" + key + "]", e.field());
    assertEquals("INVALID_HYPERPARAMETER", e.reason());
  }

  @Test
  void unknownKeyListsTheKnownOnes() {
    Hyperparameters h = extra("hiden", "3");
    GraftException e = assertThrows(GraftException.class, () -> strategy.validate(h, task));
    String known = "[dropout, hidden, layer, max_non_finite_steps, normalize, pooling,"
        + " season_length, series_scaling]";
    assertTrue(e.getMessage().contains(known), e.getMessage());
  }

  @ParameterizedTest
  @CsvSource({"epochs, -1", "batch, -2", "lr, -0.1", "lr, NaN", "wd, Infinity", "patience, -3"})
  void negativeSettingsAreRefused(String name, String value) {
    float f = Float.parseFloat(value);
    int i = (int) f;
    Hyperparameters h = switch (name) {
      case "epochs" -> new Hyperparameters(i, 0, 0f, 0f, 0, 0, Map.of());
      case "batch" -> new Hyperparameters(0, i, 0f, 0f, 0, 0, Map.of());
      case "lr" -> new Hyperparameters(0, 0, f, 0f, 0, 0, Map.of());
      case "wd" -> new Hyperparameters(0, 0, 0f, f, 0, 0, Map.of());
      default -> new Hyperparameters(0, 0, 0f, 0f, i, 0, Map.of());
    };
    GraftException e = assertThrows(GraftException.class, () -> strategy.validate(h, task));
    assertEquals(ErrorKind.INVALID_ARGUMENT, e.kind());
    assertTrue(e.field().startsWith("hyperparameters."), e.field());
  }

  @Test
  void goodExtraParses() {
    Hyperparameters h = new Hyperparameters(0, 0, 0f, 0f, 0, 0, Map.of(
        "hidden", "128", "dropout", "0.5", "pooling", "CLS", "normalize", "false", "layer", "middle"));
    strategy.validate(h, task);
    strategy.validate(h, new TaskSpec(Task.REGRESSION, List.of()));
    strategy.validate(h, new TaskSpec(Task.FORECASTING, List.of()));
    HeadOptions o = HeadOptions.parse(h);
    assertEquals(new HeadOptions(128, 0.5f, Pooling.CLS, false, "middle"), o);
  }

  @Test
  void defaultsFillZeros() {
    HeadOptions o = HeadOptions.parse(new Hyperparameters(0, 0, 0f, 0f, 0, 0, Map.of()));
    assertEquals(
        new HeadOptions(HeadOptions.AUTO, HeadOptions.DEFAULT, Pooling.DEFAULT, true, ""), o);
    assertEquals(
        List.of(new HeadArchitecture(384, 0, 0f, 3), new HeadArchitecture(384, 256, 0.5f, 3)),
        o.candidates(384, 3, true));
    assertEquals(List.of(new HeadArchitecture(384, 0, 0f, 3)), o.candidates(384, 3, false));
    assertEquals(HeadOptions.AUTO, HeadOptions.parse(extra("hidden", "Auto")).hidden());
    assertEquals(
        List.of(new HeadArchitecture(8, 0, 0.3f, 2)),
        HeadOptions.parse(
                new Hyperparameters(0, 0, 0f, 0f, 0, 0, Map.of("hidden", "0", "dropout", "0.3")))
            .candidates(8, 2, true));
    assertEquals(
        List.of(new HeadArchitecture(8, 64, 0.5f, 2)),
        HeadOptions.parse(extra("hidden", "64")).candidates(8, 2, true));
    TrainingSettings s = TrainingSettings.from(new Hyperparameters(0, 0, 0f, 0f, 0, 0, Map.of()));
    assertEquals(new TrainingSettings(100, 32, 1e-3f, 1e-4f, 10, 42L, 3), s);
  }
}
