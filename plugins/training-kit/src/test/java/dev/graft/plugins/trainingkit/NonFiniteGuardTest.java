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
import java.util.Map;
import java.util.Set;
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
    assertEquals("NON_FINITE_GRADIENTS", e.reason());
    assertTrue(e.getMessage().contains(
        "3 steps in a row (up to step 7; 5 skipped in all); first non-finite weight: w"),
        e.getMessage());
    assertTrue(e.getMessage().contains("hyperparameters.extra[max_non_finite_steps]"),
        e.getMessage());
  }

  @Test
  void oneAllowedFailsAtTheFirstNonFiniteStep() {
    NonFiniteGuard guard = new NonFiniteGuard(1, progress, () -> "");
    assertTrue(guard.accept(0.5f, 1));
    GraftException e = assertThrows(GraftException.class, () -> guard.accept(Float.NaN, 2));
    assertEquals("NON_FINITE_GRADIENTS", e.reason());
    assertTrue(messages.isEmpty(), messages.toString());
  }

  @Test
  void maxStepsIsARangeCheckedOption() {
    assertEquals(3, NonFiniteGuard.maxSteps(options(Map.of())));
    assertEquals(1, NonFiniteGuard.maxSteps(options(Map.of("max_non_finite_steps", "1"))));
    assertEquals(1000, NonFiniteGuard.maxSteps(options(Map.of("max_non_finite_steps", "1000"))));
    for (String bad : List.of("0", "-2", "1001", "three", "2.5")) {
      GraftException e = assertThrows(GraftException.class,
          () -> NonFiniteGuard.maxSteps(options(Map.of("max_non_finite_steps", bad))), bad);
      assertEquals(ErrorKind.INVALID_ARGUMENT, e.kind());
      assertEquals("INVALID_HYPERPARAMETER", e.reason());
      assertTrue(e.getMessage().contains("from 1 to 1000"), e.getMessage());
    }
  }

  @Test
  void culpritNamesTheFirstNonFiniteWeightElseGradient() {
    Engine engine = Engine.getEngine("PyTorch");
    try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
      Parameter a = parameter("a", manager);
      Parameter b = parameter("b", manager);
      List<Map.Entry<String, Parameter>> named = List.of(Map.entry("g/a", a), Map.entry("g/b", b));
      try (GradientCollector c = engine.newGradientCollector()) {
        c.backward(a.getArray().sum().add(b.getArray().mul(Float.NaN).sum()));
      }
      assertEquals("; first non-finite gradient: g/b", NonFiniteGuard.culprit(named));
      a.getArray().set(new float[] {1, Float.POSITIVE_INFINITY, 1});
      assertEquals("; first non-finite weight: g/a", NonFiniteGuard.culprit(named));
      a.getArray().set(new float[] {1, 1, 1});
      NonFiniteGuard.zeroGradients(List.of(a, b));
      assertEquals("", NonFiniteGuard.culprit(named));
    }
  }

  private static Parameter parameter(String name, NDManager manager) {
    Parameter p = Parameter.builder().setName(name).setType(Parameter.Type.WEIGHT)
        .optShape(new Shape(3)).optInitializer(Initializer.ONES).build();
    p.initialize(manager, DataType.FLOAT32);
    return p;
  }

  private static StrategyOptions options(Map<String, String> extra) {
    return new StrategyOptions(extra, Set.of(NonFiniteGuard.MAX_STEPS_KEY));
  }
}
