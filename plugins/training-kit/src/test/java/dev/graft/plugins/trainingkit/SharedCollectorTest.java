package dev.graft.plugins.trainingkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * Two training loops collecting gradients at the same time both run to the end with the right
 * gradients (with DJL's collector alone, the second one's steps throw IllegalStateException).
 */
class SharedCollectorTest {
  private static final int STEPS = 300;

  @Test
  void concurrentLoopsTakeTurns() throws Exception {
    Engine engine = Engine.getEngine("PyTorch");
    List<Throwable> failures = new CopyOnWriteArrayList<>();
    Runnable loop = () -> {
      try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
        NDArray w = manager.ones(new Shape(64, 64));
        w.setRequiresGradient(true);
        for (int step = 0; step < STEPS; step++) {
          try (NDManager scope = manager.newSubManager()) {
            NDArray x = scope.full(new Shape(64, 64), 2f);
            try (SharedCollector collector = SharedCollector.open(engine)) {
              collector.backward(w.mul(x).sum());
            }
            try (NDArray grad = w.getGradient()) {
              // d/dw sum(w·x) = x; zeroed again so steps do not accumulate
              assertArrayEquals(x.toFloatArray(), grad.toFloatArray());
              grad.subi(grad);
            }
          }
        }
      } catch (Throwable t) {
        failures.add(t);
      }
    };
    Thread a = new Thread(loop, "job-a");
    Thread b = new Thread(loop, "job-b");
    a.start();
    b.start();
    a.join();
    b.join();
    assertEquals(List.of(), failures);
  }
}
