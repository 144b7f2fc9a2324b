package dev.graft.plugins.trainingkit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.initializer.Initializer;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Global-norm clipping of real PyTorch gradients, in place. */
class GradientClipperTest {

  @Test
  void scalesTheGradientsToTheLimitAndLeavesSmallOnesAlone() {
    Engine engine = Engine.getEngine("PyTorch");
    try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
      Parameter a = parameter("a", 3, manager);
      Parameter b = parameter("b", 4, manager);
      // loss = 3·sum(a) + 4·sum(b): gradients 3 (×3) and 4 (×4), global norm sqrt(27 + 64).
      try (GradientCollector c = engine.newGradientCollector()) {
        c.backward(a.getArray().sum().mul(3).add(b.getArray().sum().mul(4)));
      }
      double before;
      try (NDManager scope = manager.newSubManager()) {
        before = GradientClipper.clip(List.of(a, b), 1f, scope);
      }
      assertEquals(Math.sqrt(91), before, 1e-4);
      try (NDManager scope = manager.newSubManager()) {
        assertEquals(1.0, GradientClipper.clip(List.of(a, b), 0f, scope), 1e-4);
      }
      NDArray ga = a.getArray().getGradient();
      assertEquals(3 / Math.sqrt(91), ga.toFloatArray()[0], 1e-5);
      ga.close();
    }
  }

  private static Parameter parameter(String name, int size, NDManager manager) {
    Parameter p = Parameter.builder().setName(name).setType(Parameter.Type.WEIGHT)
        .optShape(new Shape(size)).optInitializer(Initializer.ONES).build();
    p.initialize(manager, DataType.FLOAT32);
    return p;
  }
}
