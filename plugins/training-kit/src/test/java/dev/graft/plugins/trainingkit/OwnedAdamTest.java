package dev.graft.plugins.trainingkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import org.junit.jupiter.api.Test;

/**
 * {@link OwnedAdam} updates exactly as DJL's AdamW and Adam do, keeps its moments in a manager it
 * owns, and frees them on close (DJL's detach them and never free them).
 */
class OwnedAdamTest {
  private static final float[] START = {0.5f, -1.5f, 2f, 0.25f};

  @Test
  void adamWUpdatesLikeDjlAdamW() {
    try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
      Optimizer djl = Optimizer.adamW().optLearningRateTracker(Tracker.fixed(0.1f))
          .optWeightDecays(0.05f).build();
      try (OwnedAdam owned = OwnedAdam.adamW(Tracker.fixed(0.1f), 0.05f, manager)) {
        assertArrayEquals(train(djl, manager), train(owned, manager));
      }
    }
  }

  @Test
  void adamUpdatesLikeDjlAdam() {
    try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
      Optimizer djl = Optimizer.adam().optLearningRateTracker(Tracker.fixed(0.01f)).build();
      try (OwnedAdam owned = OwnedAdam.adam(Tracker.fixed(0.01f), manager)) {
        float[] expected = train(djl, manager);
        assertArrayEquals(expected, train(owned, manager));
        assertFalse(java.util.Arrays.equals(START, expected), "the weights moved");
      }
    }
  }

  @Test
  void closeFreesTheMoments() {
    try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
      NDArray w = manager.create(START);
      int before = manager.getManagedArrays().size();
      OwnedAdam owned = OwnedAdam.adamW(Tracker.fixed(0.1f), 0.01f, manager);
      try (NDArray grad = manager.ones(w.getShape())) {
        owned.update("w", w, grad);
        owned.update("w", w, grad);
      }
      assertEquals(1, owned.parametersWithState());
      assertEquals(before + 2, manager.getManagedArrays().size(), "a mean and a variance");
      owned.close();
      assertEquals(before, manager.getManagedArrays().size());
      assertEquals(0, owned.parametersWithState());
      owned.close(); // idempotent
      assertFalse(w.isReleased(), "the weights are the caller's");
    }
  }

  /** Four steps of loss = sum(w²·c) from {@link #START}; the weights after them. */
  private static float[] train(Optimizer optimizer, NDManager manager) {
    Engine engine = Engine.getEngine("PyTorch");
    try (NDManager scope = manager.newSubManager()) {
      NDArray w = scope.create(START);
      w.setRequiresGradient(true);
      NDArray c = scope.create(new float[] {1f, 2f, 0.5f, 3f});
      for (int step = 0; step < 4; step++) {
        try (GradientCollector collector = engine.newGradientCollector()) {
          collector.backward(w.square().mul(c).sum());
        }
        try (NDArray grad = w.getGradient()) {
          optimizer.update("w", w, grad);
        }
      }
      return w.toFloatArray();
    }
  }
}
