package dev.graft.plugins.trainingkit;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import ai.djl.training.initializer.Initializer;
import ai.djl.training.initializer.NormalInitializer;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * The fresh task head put on a trainable backbone: dropout, then one linear layer from the
 * pooled features to the outputs (class logits, or standardised values), initialised like BERT's
 * classifier (normal, σ = 0.02; zero bias). Stateless and thread-safe; blocks it builds belong
 * to the caller, their parameters to the manager they are initialised in (loading saved values
 * replaces a head's small arrays; the old ones stay in that manager until it closes).
 */
public final class TaskHead {
  private static final float INIT_SIGMA = 0.02f;

  private TaskHead() {}

  /** A head from {@code inputs} features to {@code outputs}, initialised in {@code manager}. */
  public static Block create(int inputs, int outputs, float dropout, NDManager manager) {
    SequentialBlock head = new SequentialBlock();
    if (dropout > 0) {
      head.add(Dropout.builder().optRate(dropout).build());
    }
    Linear linear = Linear.builder().setUnits(outputs).build();
    linear.setInitializer(new NormalInitializer(INIT_SIGMA), Parameter.Type.WEIGHT);
    linear.setInitializer(Initializer.ZEROS, Parameter.Type.BIAS);
    head.add(linear);
    head.initialize(manager, DataType.FLOAT32, new Shape(1, inputs));
    return head;
  }

  /** Writes the head's parameters in DJL's block encoding. */
  static void save(Block head, OutputStream out) throws IOException {
    DataOutputStream data = new DataOutputStream(out);
    head.saveParameters(data);
    data.flush();
  }

  /**
   * Replaces the head's parameters with saved ones.
   *
   * @throws IOException when the stream does not fit the head
   */
  static void load(Block head, NDManager manager, InputStream in) throws IOException {
    try {
      head.loadParameters(manager, new DataInputStream(in));
    } catch (MalformedModelException | RuntimeException e) {
      throw new IOException("the stored head does not fit: " + e.getMessage(), e);
    }
    // Loading replaces the arrays; the new ones must collect gradients like the old ones did.
    for (Parameter p : head.getParameters().values()) {
      if (p.requiresGradient()) {
        p.getArray().setRequiresGradient(true);
      }
    }
  }
}
