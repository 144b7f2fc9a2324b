package dev.graft.plugins.featureextraction;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.spi.ErrorKind;
import dev.graft.spi.Example;
import dev.graft.spi.GraftException;
import dev.graft.spi.Hyperparameters;
import dev.graft.spi.ModelInput;
import dev.graft.spi.Target;
import dev.graft.spi.Task;
import dev.graft.spi.TaskSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Non-finite steps: skipped and counted, and {@code max_non_finite_steps} in a row fail the job
 * with NON_FINITE_GRADIENTS naming the head's parameter; the option is range-checked.
 */
class NonFiniteStepsTest {
  private static final TaskSpec TWO = new TaskSpec(Task.CLASSIFICATION, List.of("ant", "bee"));

  private final FeatureExtractionStrategy strategy = new FeatureExtractionStrategy();

  @TempDir Path tmp;

  @Test
  void aRunOfNonFiniteStepsFailsNamingTheParameter() throws Exception {
    float[][] rows = new float[24][4];
    Random r = new Random(3);
    for (float[] row : rows) {
      for (int j = 0; j < row.length; j++) {
        row[j] = (float) r.nextGaussian();
      }
    }
    rows[3][1] = Float.NaN; // poisons the standardised column, so every step is NaN
    TestTrainContext ctx = new TestTrainContext(tmp, new MatrixBackbone(rows), TWO,
        examples(0, 16), examples(16, 24), new Hyperparameters(5, 0, 0f, 0f, 0, 0, Map.of(
            "normalize", "false", "hidden", "0", "max_non_finite_steps", "2")));
    GraftException e = assertThrows(GraftException.class, () -> strategy.train(ctx));
    assertEquals(ErrorKind.FAILED_PRECONDITION, e.kind());
    assertEquals("NON_FINITE_GRADIENTS", e.reason());
    assertTrue(e.getMessage().contains("2 steps in a row (up to step 2; 2 skipped in all)"),
        e.getMessage());
    assertTrue(e.getMessage().contains("; first non-finite gradient: head/"), e.getMessage());
    assertTrue(ctx.progress.messages.stream().anyMatch(m -> m.startsWith("step 1 skipped")),
        ctx.progress.messages.toString());
  }

  @Test
  void theLimitIsRangeChecked() {
    for (String bad : List.of("0", "1001", "many")) {
      GraftException e = assertThrows(GraftException.class, () -> strategy.validate(
          new Hyperparameters(0, 0, 0f, 0f, 0, 0, Map.of("max_non_finite_steps", bad)), TWO));
      assertEquals(ErrorKind.INVALID_ARGUMENT, e.kind());
      assertEquals("hyperparameters.extra[max_non_finite_steps]", e.field());
    }
    strategy.validate(
        new Hyperparameters(0, 0, 0f, 0f, 0, 0, Map.of("max_non_finite_steps", "10")), TWO);
  }

  /** Rows {@code from} … {@code to - 1} of the matrix, labelled ant and bee in turn. */
  private static List<Example> examples(int from, int to) {
    List<Example> out = new ArrayList<>();
    for (int i = from; i < to; i++) {
      out.add(new Example(new ModelInput.Text(Integer.toString(i)),
          new Target.Label(i % 2 == 0 ? "ant" : "bee")));
    }
    return out;
  }
}
