package dev.graft.plugins.trainingkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.initializer.Initializer;
import dev.graft.spi.ErrorKind;
import dev.graft.spi.GraftException;
import dev.graft.spi.MetricValue;
import dev.graft.spi.ProgressListener;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Skipping non-finite steps: real PyTorch gradients zeroed in place, the divergence rule. */
class NonFiniteGuardTest {
  private final List<String> messages = new ArrayList<>();
  private final ProgressListener progress = new ProgressListener() {
    @Override public void onStep(int e, int te, long s, long ts, double loss) {}
    @Override public void onEpoch(int e, int te, List<MetricValue> m) {}
    @Override public void onMessage(String message) { messages.add(message); }
  };

  @Test
  void zeroesNanGradientsInPlace() {
    Engine engine = Engine.getEngine("PyTorch");
    try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
      Parameter a = Parameter.builder().setName("a").setType(Parameter.Type.WEIGHT)
          .optShape(new Shape(3)).optInitializer(Initializer.ONES).build();
      a.initialize(manager, DataType.FLOAT32);
      try (GradientCollector c = engine.newGradientCollector()) {
        // d/da of sum(a · NaN) is NaN everywhere.
        c.backward(a.getArray().mul(Float.NaN).sum());
      }
      try (NDArray before = a.getArray().getGradient()) {
        assertTrue(Float.isNaN(before.toFloatArray()[0]));
      }
      NonFiniteGuard.zeroGradients(List.of(a));
      try (NDArray after = a.getArray().getGradient()) {
        assertArrayEquals(new float[] {0, 0, 0}, after.toFloatArray());
      }
      // The next backward pass accumulates onto zeros, not onto NaN.
      try (GradientCollector c = engine.newGradientCollector()) {
        c.backward(a.getArray().mul(2).sum());
      }
      try (NDArray next = a.getArray().getGradient()) {
        assertArrayEquals(new float[] {2, 2, 2}, next.toFloatArray());
      }
    }
  }

  @Test
  void skipsIsolatedNonFiniteStepsAndFailsOnARun() {
    NonFiniteGuard guard = new NonFiniteGuard(3, progress, () -> "; first non-finite weight: w");
    assertTrue(guard.accept(0.5f, 1));
    assertFalse(guard.accept(Float.NaN, 2));
    assertFalse(guard.accept(Float.POSITIVE_INFINITY, 3));
    assertTrue(guard.accept(0.4f, 4), "a finite step resets the run");
    assertFalse(guard.accept(Float.NaN, 5));
    assertFalse(guard.accept(Float.NaN, 6));
    assertEquals(4, guard.skipped());
    assertEquals(4, messages.size());
    assertTrue(messages.get(0).startsWith("step 2 skipped"), messages.get(0));
    GraftException e = assertThrows(GraftException.class,
        () -> guard.accept(Float.NaN, 7));
    assertEquals(ErrorKind.FAILED_PRECONDITION, e.kind());
    assertEquals("TRAINING_DIVERGED", e.reason());
    assertTrue(e.getMessage().contains("3 steps in a row (up to step 7); first non-finite weight: w"),
        e.getMessage());
  }
}
