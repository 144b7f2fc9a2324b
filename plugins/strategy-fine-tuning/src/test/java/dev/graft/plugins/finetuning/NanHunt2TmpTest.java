package dev.graft.plugins.finetuning;

import dev.graft.spi.Backbone;
import dev.graft.spi.BaseModel;
import dev.graft.spi.Example;
import dev.graft.spi.Hyperparameters;
import dev.graft.spi.Task;
import dev.graft.spi.TaskSpec;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NanHunt2TmpTest {
  @TempDir Path root;

  @Test
  void hunt() throws Exception {
    List<Example> all = Texts.assets();
    Collections.shuffle(all, new Random(7));
    BaseModel base = Texts.builtin("minilm-l6", root.resolve("m"));
    TaskSpec task = new TaskSpec(Task.CLASSIFICATION, List.of("negative", "positive"));
    String[] configs = System.getProperty("hunt.configs", "clip_norm=1").split(";");
    try (Backbone backbone = Texts.open(base)) {
      for (String config : configs) {
        Map<String, String> extra = new java.util.HashMap<>(Map.of("unfreeze", "all",
            "layer_decay", "1", "linear_probe", "false"));
        for (String kv : config.split(",")) {
          String[] p = kv.split("=");
          extra.put(p[0], p[1]);
        }
        StringBuilder log = new StringBuilder();
        TextContext ctx = new TextContext(root, "job-" + System.nanoTime(), backbone, base, task,
            all.subList(0, Integer.getInteger("hunt.n", 640)), all.subList(1600, 1700),
            new Hyperparameters(Integer.getInteger("hunt.epochs", 2), 16, 3e-5f, 0, 0, 42, extra));
        ctx.onStep = s -> { };
        try {
          new FineTuningStrategy().train(ctx);
          System.out.println(config + ": ok " + ctx.epochs);
        } catch (Exception e) {
          System.out.println(config + ": FAILED after " + ctx.steps.size() + " steps: " + e.getMessage());
        }
      }
    }
  }
}
