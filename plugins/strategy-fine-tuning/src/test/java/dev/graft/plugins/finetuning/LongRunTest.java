package dev.graft.plugins.finetuning;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.plugins.trainingkit.testing.TextContext;
import dev.graft.plugins.trainingkit.testing.Texts;
import dev.graft.spi.Backbone;
import dev.graft.spi.BaseModel;
import dev.graft.spi.ErrorKind;
import dev.graft.spi.Example;
import dev.graft.spi.GraftException;
import dev.graft.spi.Hyperparameters;
import dev.graft.spi.Task;
import dev.graft.spi.TaskSpec;
import dev.graft.spi.TrainOutcome;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Native memory over many steps, cancellation within seconds, and resuming from a checkpoint. */
@org.junit.jupiter.api.TestMethodOrder(org.junit.jupiter.api.MethodOrderer.MethodName.class)
class LongRunTest {
  static final TaskSpec SENTIMENT =
      new TaskSpec(Task.CLASSIFICATION, List.of("negative", "positive"));
  @TempDir static Path root;
  static BaseModel base;
  static Backbone minilm;

  @BeforeAll
  static void open() throws Exception {
    base = Texts.builtin("minilm-l6", root.resolve("minilm"));
    minilm = Texts.open(base);
  }

  @AfterAll
  static void close() {
    minilm.close();
  }

  @Test
  void openArraysDoNotGrowWithTheNumberOfSteps() throws Exception {
    CapturingBackbone backbone = new CapturingBackbone(minilm);
    List<Example> all = Texts.sentiment();
    TextContext ctx = new TextContext(root, "job-memory", backbone, base, SENTIMENT,
        all.subList(0, 16), all.subList(16, 24), new Hyperparameters(4, 4, 0, 0, 100, 3,
            Map.of("unfreeze", "all", "max_tokens", "16")));
    List<Integer> open = new ArrayList<>();
    ctx.onStep = step -> open.add(backbone.opened.manager().getManagedArrays().size());
    new FineTuningStrategy().train(ctx);
    System.out.println("open NDArrays after each of " + open.size() + " steps: " + open);
    assertEquals(16, open.size(), "4 epochs of 4 steps");
    // The optimizer's state appears with the first update; from then on every step — across
    // epochs, evaluations and checkpoints — ends with exactly as many open arrays.
    for (int i = 1; i < open.size(); i++) {
      assertEquals(open.get(1), open.get(i), "open arrays after step " + (i + 1) + ": " + open);
    }
  }

  @Test
  void cancelStopsWithinSecondsLeavingTheBestCheckpointAndResumeContinues() throws Exception {
    List<Example> all = Texts.sentiment();
    Map<String, String> extra = Map.of("unfreeze", "2", "max_tokens", "16");
    TextContext first = new TextContext(root, "job-cancelled", minilm, base, SENTIMENT,
        all.subList(0, 16), all.subList(16, 24), new Hyperparameters(1000, 4, 0, 0, 1000, 5, extra));
    FineTuningStrategy strategy = new FineTuningStrategy();
    CompletableFuture<TrainOutcome> run = CompletableFuture.supplyAsync(() -> strategy.train(first));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (first.epochs.size() < 2 && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertTrue(first.epochs.size() >= 2, "two epochs ran");
    long start = System.nanoTime();
    first.cancelled.set(true);
    Exception e = assertThrows(Exception.class, () -> run.get(30, TimeUnit.SECONDS));
    double seconds = (System.nanoTime() - start) / 1e9;
    GraftException cause = (GraftException) e.getCause();
    assertEquals(ErrorKind.CANCELLED, cause.kind());
    assertTrue(seconds < 5, "cancelled in " + seconds + " s");
    System.out.printf("cancelled in %.2f s%n", seconds);
    assertTrue(Files.isRegularFile(first.checkpoints.resolve("best/encoder.params")));
    assertTrue(Files.isRegularFile(first.checkpoints.resolve("last/checkpoint.json")));
    int done = first.epochs.size();

    TextContext resumed = new TextContext(root, "job-resumed", minilm, base, SENTIMENT,
        all.subList(0, 16), all.subList(16, 24), new Hyperparameters(done + 1, 4, 0, 0, 1000, 5,
            Map.of("unfreeze", "2", "max_tokens", "16", "resume_from", "job-cancelled")));
    TrainOutcome outcome = strategy.train(resumed);
    assertEquals(1, resumed.epochs.size(), "only the epoch after the checkpoint ran");
    assertTrue(resumed.messages.stream().anyMatch(m -> m.startsWith("resumed after epoch")),
        resumed.messages.toString());
    assertTrue(outcome.properties().get("resumed_from").startsWith("job-cancelled"));
    assertEquals(Integer.toString(done + 1), outcome.properties().get("epochs_trained"));
    assertTrue(Files.isRegularFile(resumed.output.resolve("encoder.params")));

    GraftException missing = assertThrows(GraftException.class, () -> strategy.train(
        new TextContext(root, "job-x", minilm, base, SENTIMENT, all, List.of(),
            new Hyperparameters(1, 4, 0, 0, 0, 5, Map.of("resume_from", "job-none")))));
    assertEquals("CHECKPOINT_NOT_FOUND", missing.reason());
    GraftException mismatch = assertThrows(GraftException.class, () -> strategy.train(
        new TextContext(root, "job-y", minilm, base, SENTIMENT, all, List.of(),
            new Hyperparameters(1, 4, 0, 0, 0, 5, Map.of("resume_from", "job-cancelled",
                "max_tokens", "32")))));
    assertEquals("CHECKPOINT_MISMATCH", mismatch.reason());
  }
}
