package dev.graft.plugins.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import dev.graft.spi.Backbone;
import dev.graft.spi.GraftException;
import dev.graft.spi.ModelInput;
import dev.graft.spi.ParameterGroup;
import dev.graft.spi.TrainableBackbone;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * The checks of a {@link TrainableBackbone} that {@link AbstractDomainPluginTest} runs: its
 * groups cover its block, its weights survive {@code saveParameters}/{@code loadParameters} into
 * a fresh copy, inference-mode forwards run concurrently, and closing frees its parameters.
 */
final class TrainableBackboneChecks {
  private final Backbone backbone;
  private final Map<String, String> options;
  private final List<ModelInput> inputs;
  private final float tolerance;
  private final int threads;

  TrainableBackboneChecks(Backbone backbone, Map<String, String> options, List<ModelInput> inputs,
      float tolerance, int threads) {
    this.backbone = backbone;
    this.options = options;
    this.inputs = inputs;
    this.tolerance = tolerance;
    this.threads = threads;
  }

  static void groupsCoverEveryParameterOnce(Backbone backbone, Map<String, String> options) {
    try (TrainableBackbone trainable = backbone.openTrainable(Device.cpu(), options)) {
      Set<Parameter> inBlock = Collections.newSetFromMap(new IdentityHashMap<>());
      for (Pair<String, Parameter> p : trainable.block().getParameters()) {
        inBlock.add(p.getValue());
      }
      Set<Parameter> grouped = Collections.newSetFromMap(new IdentityHashMap<>());
      Set<String> names = new java.util.HashSet<>();
      assertFalse(trainable.groups().isEmpty(), "groups()");
      for (ParameterGroup group : trainable.groups()) {
        assertTrue(names.add(group.name()), "group names are unique: " + group.name());
        assertFalse(group.parameters().isEmpty(), "group " + group.name() + " has parameters");
        for (Parameter p : group.parameters()) {
          assertTrue(grouped.add(p), p.getName() + " is in one group only");
        }
      }
      assertEquals(inBlock.size(), grouped.size(), "the groups hold every parameter of block()");
      assertTrue(inBlock.containsAll(grouped), "the groups hold only parameters of block()");
    }
  }

  static void closeFreesParametersOnly(Backbone backbone, Map<String, String> options) {
    TrainableBackbone trainable = backbone.openTrainable(Device.cpu(), options);
    NDManager manager = trainable.manager();
    assertTrue(manager.isOpen(), "an open trainable backbone's manager is open");
    trainable.close();
    assertFalse(manager.isOpen(), "close() frees the parameters (closes manager())");
    trainable.close();
  }

  void weightsRoundTrip() throws Exception {
    try (TrainableBackbone first = backbone.openTrainable(Device.cpu(), options)) {
      float[][] pretrained = forward(first);
      assertEquals(inputs.size(), pretrained.length, "one pooled vector per input");
      assertEquals(first.dimension(), pretrained[0].length, "pooled vectors are dimension() wide");
      perturb(first);
      float[][] changed = forward(first);
      assertTrue(Checks.maxDifference(pretrained, changed) > 10 * tolerance,
          "changing the groups' parameters changes the block's output");
      ByteArrayOutputStream saved = new ByteArrayOutputStream();
      first.saveParameters(saved);

      try (TrainableBackbone second = backbone.openTrainable(Device.cpu(), first.options())) {
        assertTrue(Checks.maxDifference(pretrained, forward(second)) <= tolerance,
            "a fresh copy has the pretrained weights: another copy's changes do not leak into it");
        second.loadParameters(new ByteArrayInputStream(saved.toByteArray()));
        float worst = Checks.maxDifference(changed, forward(second));
        assertTrue(worst <= tolerance, "loaded weights give the saved copy's output (max difference "
            + worst + ")");
        for (float[][] result : Concurrently.run(threads, 2, () -> forward(second))) {
          assertTrue(Checks.maxDifference(changed, result) <= tolerance,
              "concurrent inference-mode forwards agree");
        }
        refusesAForeignStream(second);
      }
    }
  }

  private static void refusesAForeignStream(TrainableBackbone trainable) {
    byte[] noise = new byte[256];
    new Random(7).nextBytes(noise);
    try {
      trainable.loadParameters(new ByteArrayInputStream(noise));
    } catch (GraftException | IOException e) {
      return;
    }
    throw new AssertionError("loadParameters accepted 256 random bytes");
  }

  private float[][] forward(TrainableBackbone trainable) {
    try (NDManager scope = trainable.manager().newSubManager()) {
      NDList in = trainable.inputs(scope, inputs, false);
      NDArray features = trainable.block().forward(new ParameterStore(scope, false), in, false).get(0);
      long[] shape = features.getShape().getShape();
      assertEquals(2, shape.length, "pooled features are [batch, dimension]");
      float[] flat = features.toType(DataType.FLOAT32, false).toFloatArray();
      float[][] rows = new float[(int) shape[0]][(int) shape[1]];
      for (int i = 0; i < rows.length; i++) {
        System.arraycopy(flat, i * rows[i].length, rows[i], 0, rows[i].length);
      }
      return rows;
    }
  }

  /** Multiplies every floating-point parameter by noise around 1, in place. */
  private static void perturb(TrainableBackbone trainable) {
    for (ParameterGroup group : trainable.groups()) {
      for (Parameter p : group.parameters()) {
        NDArray array = p.getArray();
        if (array.getDataType() != DataType.FLOAT32) {
          continue;
        }
        try (NDArray factor = array.getManager().randomNormal(1f, 0.05f, array.getShape(), DataType.FLOAT32)) {
          array.muli(factor);
        }
      }
    }
  }
}
