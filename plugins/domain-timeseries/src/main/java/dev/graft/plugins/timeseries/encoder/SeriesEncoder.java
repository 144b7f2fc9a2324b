package dev.graft.plugins.timeseries.encoder;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
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

/**
 * The patch-Transformer series encoder as a trainable block on DJL's PyTorch engine.
 *
 * <p>Thread-safety and ownership as {@link TrainableBackbone} says: one training thread, or
 * concurrent inference passes in their own scopes; whoever opened it closes it, which frees its
 * parameters.
 */
public final class SeriesEncoder implements TrainableBackbone {
  /** The engine the encoder runs on. */
  public static final String ENGINE = "PyTorch";
  private static final String MAGIC = "graft-ts-encoder-params/1";

  private final PatchEncoderBlock block;
  private final NDManager manager;
  private final List<ParameterGroup> groups;
  private Map<String, String> options = Map.of();

  private SeriesEncoder(PatchEncoderBlock block, NDManager manager) {
    this.block = block;
    this.manager = manager;
    this.groups = block.groups();
  }

  /**
   * A freshly initialised encoder (random weights from the engine's generator, which
   * {@code Engine.setRandomSeed} seeds).
   */
  public static SeriesEncoder create(EncoderConfig config, Device device) {
    Engine engine = engine();
    NDManager manager = engine.newBaseManager(device);
    try {
      PatchEncoderBlock block = new PatchEncoderBlock(config);
      block.initialize(manager, DataType.FLOAT32, new Shape(1, config.context()), new Shape(1, 1));
      return new SeriesEncoder(block, manager);
    } catch (RuntimeException e) {
      manager.close();
      throw e;
    }
  }

  /** An encoder with the weights {@link #saveParameters} wrote. */
  public static SeriesEncoder open(EncoderConfig config, Device device, InputStream weights)
      throws IOException {
    SeriesEncoder encoder = create(config, device);
    try {
      encoder.loadParameters(weights);
      return encoder;
    } catch (IOException | RuntimeException e) {
      encoder.close();
      throw e;
    }
  }

  static Engine engine() {
    Engine engine = Engine.getEngine(ENGINE);
    if (engine == null) {
      throw GraftException.failedPrecondition("ENGINE_UNAVAILABLE",
          "the series encoder needs DJL's PyTorch engine on the server's classpath");
    }
    return engine;
  }

  public EncoderConfig config() {
    return block.config();
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
    return block.config().dimension();
  }

  @Override
  public List<ParameterGroup> groups() {
    return groups;
  }

  @Override
  public NDList inputs(NDManager scope, List<ModelInput> inputs) {
    return SeriesBatch.encode(scope, inputs, block.config().context());
  }

  @Override
  public Map<String, String> options() {
    return options;
  }

  /** Sets the options {@link #options()} reports (to store with a model); returns this. */
  public SeriesEncoder withOptions(Map<String, String> resolved) {
    this.options = Map.copyOf(resolved);
    return this;
  }

  /** The number of scalar weights. */
  public long parameterCount() {
    long n = 0;
    for (ParameterGroup g : groups) {
      n += g.size();
    }
    return n;
  }

  @Override
  public void saveParameters(OutputStream out) throws IOException {
    ParameterFile.write(out, MAGIC, ParameterFile.byGroup(groups));
  }

  @Override
  public void loadParameters(InputStream in) throws IOException {
    ParameterFile.read(in, MAGIC, ParameterFile.byGroup(groups), "encoder");
  }

  @Override
  public void close() {
    manager.close();
  }
}
