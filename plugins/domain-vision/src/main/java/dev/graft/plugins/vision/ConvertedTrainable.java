package dev.graft.plugins.vision;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import dev.graft.plugins.vision.block.ConvertedBlock;
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
 * A converted network (Keras, PyTorch state dict) as a trainable DJL block on the PyTorch
 * engine: images in, pooled features of the chosen layer out, initialised with the pretrained
 * weights or (option {@code init=random}) freshly, for the from-scratch baseline. Options as
 * {@link VisionOptions}; with {@code augment=true} the training batches
 * {@link #inputs(NDManager, List, boolean)} builds are randomly cropped, flipped and rotated,
 * evaluation and prediction batches never are. Saved parameters include the batch-norm running
 * statistics, in the network kind's own parameter format ({@link ConvertedSource#parameterFormat}).
 *
 * <p>Thread-safety and ownership as {@link TrainableBackbone} says: one training thread; the
 * opener closes it, which frees the parameters (its base manager).
 */
final class ConvertedTrainable implements TrainableBackbone {
  static final String ENGINE = "PyTorch";

  private final ConvertedBlock block;
  private final String format;
  private final NDManager manager;
  private final VisionOptions options;
  private final ImageBatches batches;
  private final Random random;

  private ConvertedTrainable(ConvertedBlock block, String format, NDManager manager,
      VisionOptions options, ImageBatches batches) {
    this.block = block;
    this.format = format;
    this.manager = manager;
    this.options = options;
    this.batches = batches;
    this.random = options.augment() ? new Random(options.seed()) : null;
  }

  static ConvertedTrainable open(ConvertedSource network, VisionOptions options, Device device) {
    NDManager manager = NDManager.newBaseManager(device, ENGINE);
    try {
      ConvertedBlock block = network.newBlock(manager, options.layer(), options.poolMax(),
          options.trainBatchNorm(), options.random() ? options.seed() : -1);
      return new ConvertedTrainable(block, network.parameterFormat(), manager, options,
          new ImageBatches(network.spec().withSize(options.imageSize())));
    } catch (RuntimeException e) {
      manager.close();
      throw e;
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
    return block.dimension();
  }

  @Override
  public List<ParameterGroup> groups() {
    return block.groups();
  }

  @Override
  public NDList inputs(NDManager scope, List<ModelInput> inputs) {
    return inputs(scope, inputs, false);
  }

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
    ParameterFile.write(out, format, List.copyOf(arrays().entrySet()));
  }

  @Override
  public void loadParameters(InputStream in) throws IOException {
    ParameterFile.read(in, format, List.copyOf(arrays().entrySet()), "network");
  }

  /** Every parameter, then every batch-norm statistic, by a stable name. */
  private Map<String, NDArray> arrays() {
    Map<String, NDArray> all = new java.util.LinkedHashMap<>();
    for (ParameterGroup group : block.groups()) {
      for (Parameter p : group.parameters()) {
        all.put(p.getName(), p.getArray());
      }
    }
    all.putAll(block.buffers());
    return all;
  }

  @Override
  public void close() {
    manager.close();
  }
}
