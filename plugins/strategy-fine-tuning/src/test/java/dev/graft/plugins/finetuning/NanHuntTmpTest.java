package dev.graft.plugins.finetuning;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterServer;
import ai.djl.training.ParameterStore;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import dev.graft.plugins.trainingkit.TaskHead;
import dev.graft.spi.Backbone;
import dev.graft.spi.BaseModel;
import dev.graft.spi.Example;
import dev.graft.spi.ParameterGroup;
import dev.graft.spi.Target;
import dev.graft.spi.TrainableBackbone;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NanHuntTmpTest {
  @TempDir Path root;

  @Test
  void hunt() throws Exception {
    List<Example> all = Texts.assets();
    Collections.shuffle(all, new Random(7));
    BaseModel base = Texts.builtin("minilm-l6", root.resolve("m"));
    Engine engine = Engine.getEngine("PyTorch");
    try (Backbone backbone = Texts.open(base);
        TrainableBackbone tb = backbone.openTrainable(Device.cpu(), Map.of("max_tokens", "64"))) {
      engine.setRandomSeed(1);
      Block head = TaskHead.create(384, 2, 0.1f, tb.manager());
      List<Parameter> params = new ArrayList<>(head.getParameters().values());
      List<String> names = new ArrayList<>(List.of("head.w", "head.b"));
      for (ParameterGroup g : tb.groups()) {
        for (Parameter p : g.parameters()) {
          params.add(p);
          names.add(g.name() + "/" + p.getName());
        }
      }
      Optimizer opt = Optimizer.adamW().optLearningRateTracker(Tracker.fixed(1e-4f))
          .optWeightDecays(0.01f).build();
      try (ParameterServer server = engine.newParameterServer(opt)) {
        ParameterStore store = new ParameterStore(tb.manager(), false);
        store.setParameterServer(server, new Device[] {Device.cpu()});
        Loss loss = Loss.softmaxCrossEntropyLoss();
        int step = 0;
        for (int epoch = 0; epoch < 3; epoch++) {
          for (int from = 0; from + 16 <= 640; from += 16) {
            step++;
            try (NDManager scope = tb.manager().newSubManager()) {
              List<Example> batch = all.subList(from, from + 16);
              NDList in = tb.inputs(scope, batch.stream().map(Example::input).toList());
              NDArray y = scope.create(batch.stream().mapToLong(e ->
                  ((Target.Label) e.target()).label().equals("positive") ? 1 : 0).toArray());
              float value;
              try (GradientCollector c = engine.newGradientCollector()) {
                NDArray f = tb.block().forward(store, in, true).head();
                NDArray out = head.forward(store, new NDList(f), true).head();
                NDArray l = loss.evaluate(new NDList(y), new NDList(out));
                c.backward(l);
                value = l.getFloat();
              }
              for (int i = 0; i < params.size(); i++) {
                NDArray g = params.get(i).getArray().getGradient();
                g.attach(scope);
                float s = g.abs().sum().getFloat();
                if (!Float.isFinite(s)) {
                  System.out.println("step " + step + ": non-finite gradient in " + names.get(i)
                      + " loss " + value);
                }
              }
              store.updateAllParameters();
              for (int i = 0; i < params.size(); i++) {
                float s = params.get(i).getArray().abs().sum().getFloat();
                if (!Float.isFinite(s)) {
                  System.out.println("step " + step + ": non-finite weight in " + names.get(i));
                }
              }
              if (!Float.isFinite(value)) {
                System.out.println("step " + step + " loss " + value);
                return;
              }
              if (step % 10 == 0) {
                System.out.println("step " + step + " loss " + value);
              }
            }
          }
        }
      }
    }
  }
}
