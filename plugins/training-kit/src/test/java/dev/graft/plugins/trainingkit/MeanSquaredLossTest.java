package dev.graft.plugins.trainingkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import ai.djl.training.loss.L2Loss;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The loss equals DJL's L2Loss with weight 1, and its gradient stays right when a GC runs
 * between the forward and the backward pass and the freed memory is refilled with NaN (what
 * corrupts gradients through DJL's number operands).
 */
class MeanSquaredLossTest {
  private static final float[] PREDICTION = {0.5f, -1f, 2f, 3.5f};
  private static final float[] TARGET = {1f, 1f, 1f, 1f};
  /** d/dp mean((t − p)²) = 2 (p − t) / n. */
  private static final float[] GRADIENT = {-0.25f, -1f, 0.5f, 1.25f};

  @Test
  void valuesMatchDjlsL2Loss() {
    try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
      NDList p = new NDList(m.create(PREDICTION));
      NDList t = new NDList(m.create(TARGET));
      assertEquals(new L2Loss("loss", 1f).evaluate(t, p).getFloat(),
          new MeanSquaredLoss().evaluate(t, p).getFloat());
      assertEquals("loss", new MeanSquaredLoss().getName());
    }
  }

  @Test
  void gradientSurvivesAGcBetweenForwardAndBackward() throws Exception {
    Engine engine = Engine.getEngine("PyTorch");
    for (int run = 0; run < 10; run++) {
      try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
        NDArray p = m.create(PREDICTION);
        p.setRequiresGradient(true);
        NDArray t = m.create(TARGET);
        try (GradientCollector c = engine.newGradientCollector()) {
          NDArray loss = new MeanSquaredLoss().evaluate(new NDList(t), new NDList(p));
          collectAndRefill();
          c.backward(loss);
        }
        try (NDArray g = p.getGradient()) {
          assertArrayEquals(GRADIENT, g.toFloatArray(), 1e-6f, "run " + run);
        }
      }
    }
  }

  /** Full GCs (the cleaner frees unreachable direct buffers), then NaN-filled allocations. */
  private static void collectAndRefill() throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(20);
    }
    List<ByteBuffer> fill = new ArrayList<>();
    for (int i = 0; i < 20_000; i++) {
      fill.add(ByteBuffer.allocateDirect(4).order(ByteOrder.nativeOrder()).putFloat(0, Float.NaN));
    }
    fill.clear();
  }
}
