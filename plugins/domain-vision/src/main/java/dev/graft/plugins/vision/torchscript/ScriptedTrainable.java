package dev.graft.plugins.vision.torchscript;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import dev.graft.plugins.vision.ImageBatches;
import dev.graft.plugins.vision.VisionOptions;
import dev.graft.spi.GraftException;
import dev.graft.spi.ModelInput;
import dev.graft.spi.ParameterFile;
import dev.graft.spi.ParameterGroup;
import dev.graft.spi.TrainableBackbone;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A TorchScript vision module as a trainable backbone: a fresh copy of the module loaded into
 * this instance's own manager, images in (preprocessed as the base model says, at the option
 * {@code image_size}), pooled features out, parameters grouped by name ({@link NameGroups}).
 * With {@code init=random} every parameter is drawn afresh (weights He-normal, biases 0, other
 * one-dimensional weights 1) from {@code seed}; buffers such as batch-norm running statistics
 * keep the file's values. Batch norms always use their stored statistics ({@code batchnorm}
 * must be {@code frozen}): DJL cannot read or save a TorchScript module's buffers.
 *
 * <p>Thread-safety and ownership as {@link TrainableBackbone} says: one training thread; the
 * opener closes it, which frees the module and its parameters (its base manager).
 */
final class ScriptedTrainable implements TrainableBackbone {
  private static final String MAGIC = "graft-torchscript-params/1";

  private final ScriptedBlock block;
  private final NDManager manager;
  private final VisionOptions options;
  private final ImageBatches batches;
  private final List<ParameterGroup> groups;
  private final int dimension;
  private final Random random;

  private ScriptedTrainable(ScriptedBlock block, NDManager manager, VisionOptions options,
      ImageBatches batches, int dimension) {
    this.block = block;
    this.manager = manager;
    this.options = options;
    this.batches = batches;
    this.groups = NameGroups.of(block.moduleParameters());
    this.dimension = dimension;
    this.random = options.augment() ? new Random(options.seed()) : null;
  }

  /** Loads a copy of {@code network}'s module on {@code device}, initialised as options say. */
  static ScriptedTrainable open(ScriptedNetwork network, VisionOptions options, int dimension,
      Device device) {
    NDManager manager = NDManager.newBaseManager(device, ScriptedNetwork.ENGINE);
    try {
      ScriptedBlock block = new ScriptedBlock(network.load(manager), options.poolMax());
      for (Parameter p : block.moduleParameters()) {
        if (p.getArray().getDataType() != DataType.FLOAT32) {
          throw GraftException.failedPrecondition("UNSUPPORTED_NETWORK", network.name()
              + " has a " + p.getArray().getDataType() + " parameter " + p.getName()
              + "; a trainable TorchScript backbone needs float32 parameters");
        }
        p.freeze(false);
      }
      if (options.random()) {
        reinitialise(block.moduleParameters(), new Random(options.seed()));
      }
      return new ScriptedTrainable(block, manager, options,
          new ImageBatches(network.spec().withSize(options.imageSize())), dimension);
    } catch (RuntimeException e) {
      manager.close();
      throw e;
    }
  }

  private static void reinitialise(List<Parameter> parameters, Random random) {
    for (Parameter p : parameters) {
      NDArray array = p.getArray();
      long[] shape = array.getShape().getShape();
      float[] values = new float[(int) array.size()];
      if (shape.length >= 2) {
        double std = Math.sqrt(2.0 * shape[0] / values.length);
        for (int i = 0; i < values.length; i++) {
          values[i] = (float) (random.nextGaussian() * std);
        }
      } else if (!p.getName().endsWith("bias")) {
        java.util.Arrays.fill(values, 1f);
      }
      set(p, values);
    }
  }

  /** Writes {@code values} into the parameter in place (outside autograd). */
  private static void set(Parameter p, float[] values) {
    boolean grad = p.requiresGradient();
    p.freeze(true);
    try {
      p.getArray().set(values);
    } finally {
      p.freeze(!grad);
    }
  }

  @Override
  public Block block() {
    return block;
  }

  @Override
  public NDManager manager() {
    return manager;
  }

  @Override
  public int dimension() {
    return dimension;
  }

  @Override
  public List<ParameterGroup> groups() {
    return groups;
  }

  @Override
  public NDList inputs(NDManager scope, List<ModelInput> inputs) {
    return inputs(scope, inputs, false);
  }

  /** Training batches are augmented when the option {@code augment} is on; others never are. */
  @Override
  public NDList inputs(NDManager scope, List<ModelInput> inputs, boolean training) {
    return new NDList(batches.array(scope, inputs, 0, training ? random : null));
  }

  @Override
  public Map<String, String> options() {
    return options.asMap();
  }

  @Override
  public void saveParameters(OutputStream out) throws IOException {
    ParameterFile.write(out, MAGIC, ParameterFile.byGroup(groups));
  }

  @Override
  public void loadParameters(InputStream in) throws IOException {
    // A module's parameters are autograd leaves: they are written outside autograd.
    List<Parameter> parameters = block.moduleParameters();
    boolean[] trains = new boolean[parameters.size()];
    for (int i = 0; i < trains.length; i++) {
      trains[i] = parameters.get(i).requiresGradient();
      parameters.get(i).freeze(true);
    }
    try {
      ParameterFile.read(in, MAGIC, ParameterFile.byGroup(groups), "network");
    } finally {
      for (int i = 0; i < trains.length; i++) {
        parameters.get(i).freeze(!trains[i]);
      }
    }
  }

  @Override
  public void close() {
    manager.close();
  }
}
