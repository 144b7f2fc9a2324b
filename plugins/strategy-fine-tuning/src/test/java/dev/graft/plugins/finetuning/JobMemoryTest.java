package dev.graft.plugins.finetuning;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.plugins.knowledgetransfer.KnowledgeTransferStrategy;
import dev.graft.plugins.trainingkit.testing.TextContext;
import dev.graft.plugins.trainingkit.testing.Texts;
import dev.graft.spi.Backbone;
import dev.graft.spi.BaseModel;
import dev.graft.spi.ErrorKind;
import dev.graft.spi.Example;
import dev.graft.spi.GraftException;
import dev.graft.spi.Hyperparameters;
import dev.graft.spi.StrategyPlugin;
import dev.graft.spi.Task;
import dev.graft.spi.TaskSpec;
import dev.graft.spi.TrainableBackbone;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * No native memory stays behind per job: 6 knowledge-transfer and 6 fine-tuning jobs on MiniLM —
 * each strategy's jobs succeed, are cancelled or diverge in turn, each on a new thread as the
 * server runs them — leave the process's resident memory after a GC within
 * {@value #MAX_GROWTH_MB} MB of what it was after a warm-up pair, and every trainable copy
 * closed. Before the fix each knowledge-transfer job left ~250 MB and each fine-tuning job
 * ~150 MB (Adam's moments, and glibc arenas keeping what a job freed).
 */
class JobMemoryTest {
  static final long MAX_GROWTH_MB = 100;
  static final TaskSpec SENTIMENT =
      new TaskSpec(Task.CLASSIFICATION, List.of("negative", "positive"));

  enum Ending { SUCCESS, CANCEL, DIVERGE }

  @TempDir Path root;

  @Test
  void twelveJobsLeaveNoNativeMemoryBehind() throws Exception {
    assertTrue(Files.isReadable(Path.of("/proc/self/status")), "needs Linux /proc");
    BaseModel base = Texts.builtin("minilm-l6", root.resolve("minilm"));
    try (Backbone minilm = Texts.open(base)) {
      ProbedBackbone backbone = new ProbedBackbone(minilm);
      List<StrategyPlugin> strategies =
          List.of(new KnowledgeTransferStrategy(), new FineTuningStrategy());
      for (StrategyPlugin s : strategies) {
        run(s, Ending.SUCCESS, "warm-up-" + s.id(), backbone, base);
      }
      long before = ResidentMemory.afterGc();
      List<String> log = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        for (StrategyPlugin s : strategies) {
          Ending ending = Ending.values()[i % 3];
          long start = System.nanoTime();
          run(s, ending, "job-" + i + "-" + s.id(), backbone, base);
          log.add(String.format("%s %s %.1fs rss %d MB", s.id(), ending,
              (System.nanoTime() - start) / 1e9, ResidentMemory.afterGc()));
        }
      }
      long after = ResidentMemory.afterGc();
      System.out.println("RSS after GC: " + before + " MB after the warm-up, " + after
          + " MB after 12 jobs\n  " + String.join("\n  ", log));
      assertEquals(14, backbone.opened.size());
      for (TrainableBackbone copy : backbone.opened) {
        assertFalse(copy.manager().isOpen(), "a trainable copy was left open");
      }
      assertTrue(after - before < MAX_GROWTH_MB, "RSS after GC grew by " + (after - before)
          + " MB over 12 jobs (" + before + " → " + after + " MB):\n" + String.join("\n", log));
    }
  }

  /** One job on a new thread, ending as asked; its folders are deleted afterwards. */
  private void run(StrategyPlugin strategy, Ending ending, String job, ProbedBackbone backbone,
      BaseModel base) throws Exception {
    List<Example> all = Texts.sentiment();
    Map<String, String> extra = ending == Ending.DIVERGE
        ? Map.of("max_tokens", "16", "max_non_finite_steps", "2")
        : Map.of("max_tokens", "16");
    TextContext ctx = new TextContext(root, job, backbone, base, SENTIMENT, all.subList(0, 16),
        all.subList(16, 24), new Hyperparameters(1, 4, 0, 0, 0, 5, extra));
    if (ending == Ending.CANCEL) {
      ctx.onStep = step -> ctx.cancelled.set(step >= 2);
    }
    backbone.poisonAfter = ending == Ending.DIVERGE ? 1 : -1;
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread thread = new Thread(() -> {
      try {
        strategy.train(ctx);
      } catch (Throwable t) {
        failure.set(t);
      }
    }, "train-" + job);
    thread.start();
    thread.join();
    backbone.poisonAfter = -1;
    check(ending, failure.get(), job);
    delete(ctx.output);
    delete(ctx.checkpoints);
  }

  private static void check(Ending ending, Throwable failure, String job) {
    if (ending == Ending.SUCCESS) {
      if (failure != null) {
        throw new AssertionError(job + " failed", failure);
      }
      return;
    }
    assertNotNull(failure, job + " should have ended " + ending);
    if (!(failure instanceof GraftException e)) {
      throw new AssertionError(job + " failed", failure);
    }
    if (ending == Ending.CANCEL) {
      assertEquals(ErrorKind.CANCELLED, e.kind(), e.getMessage());
    } else {
      assertEquals("NON_FINITE_GRADIENTS", e.reason(), e.getMessage());
      assertTrue(e.getMessage().contains("; first non-finite gradient: "), e.getMessage());
    }
  }

  private static void delete(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
