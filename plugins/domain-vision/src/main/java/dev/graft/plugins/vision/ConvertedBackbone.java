package dev.graft.plugins.vision;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import dev.graft.plugins.vision.block.ConvertedBlock;
import dev.graft.spi.Backbone;
import dev.graft.spi.FeatureRequest;
import dev.graft.spi.GraftException;
import dev.graft.spi.ModelInput;
import dev.graft.spi.Pooling;
import dev.graft.spi.TrainableBackbone;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A converted vision network (the built-ins mobilenet-v2 and efficientnet-lite0, or an imported
 * Keras or PyTorch network) as a backbone: decodes and
 * preprocesses images as the base model's input spec says, runs the pretrained block up to the
 * requested layer on the PyTorch engine and pools over space (mean by default, or max).
 * {@link #openTrainable} gives each job its own copy of the block.
 *
 * <p>Thread-safety: {@link #extract} may run concurrently (inference-mode passes, each in its own
 * NDManager scope; one frozen block per (layer, pooling), built on first use). Ownership: the
 * opener closes it, which frees the blocks' parameters.
 */
final class ConvertedBackbone implements Backbone {
  private static final int CHUNK = 32;

  private final ConvertedSource network;
  private final Device device;
  private final NDManager manager;
  private final ImageBatches batches;
  private final Map<String, ConvertedBlock> blocks = new HashMap<>();

  private ConvertedBackbone(ConvertedSource network, Device device) {
    this.network = network;
    this.device = device;
    this.manager = NDManager.newBaseManager(device, ConvertedTrainable.ENGINE);
    this.batches = new ImageBatches(network.spec());
  }

  /**
   * The backbone of {@code network} on {@code device}, after one probe pass on the default
   * layer ({@link OutputProbe}).
   *
   * @throws GraftException FAILED_PRECONDITION NON_FINITE_OUTPUT when the probe's features are
   *     not all finite
   */
  static ConvertedBackbone open(ConvertedSource network, Device device) {
    ConvertedBackbone backbone = new ConvertedBackbone(network, device);
    try {
      float[][] probe = backbone.extract(List.of(OutputProbe.image(network.spec())),
          FeatureRequest.defaults());
      OutputProbe.requireFinite(probe[0], network.name());
      return backbone;
    } catch (RuntimeException e) {
      backbone.close();
      throw e;
    }
  }

  @Override
  public List<String> layers() {
    return network.layers();
  }

  @Override
  public int dimension() {
    return network.dimension();
  }

  @Override
  public float[][] extract(List<ModelInput> inputs, FeatureRequest request) {
    String layer = request.layer().isEmpty() ? network.layers().get(0) : request.layer();
    if (!network.layers().contains(layer)) {
      throw GraftException.invalidArgument("layer", "UNKNOWN_LAYER",
          "layer '" + layer + "' is not a feature layer of " + network.name());
    }
    if (request.pooling() == Pooling.CLS) {
      throw GraftException.invalidArgument("pooling", "UNSUPPORTED_POOLING",
          "an image backbone pools by mean or max, not cls");
    }
    boolean max = request.pooling() == Pooling.MAX;
    batches.checkBudget(inputs, 0);
    ConvertedBlock block = block(layer, max);
    float[][] out = new float[inputs.size()][];
    for (int start = 0; start < inputs.size(); start += CHUNK) {
      List<ModelInput> chunk = inputs.subList(start, Math.min(inputs.size(), start + CHUNK));
      try (NDManager scope = manager.newSubManager()) {
        NDArray x = batches.array(scope, chunk, start, null);
        NDArray y = block.forward(new ParameterStore(scope, false), new NDList(x), false)
            .singletonOrThrow();
        if (request.normalize()) {
          y = y.div(y.norm(new int[] {1}, true).add(1e-12f));
        }
        float[] flat = y.toFloatArray();
        int width = (int) y.getShape().get(1);
        for (int i = 0; i < chunk.size(); i++) {
          out[start + i] = java.util.Arrays.copyOfRange(flat, i * width, (i + 1) * width);
        }
      }
    }
    return out;
  }

  private synchronized ConvertedBlock block(String layer, boolean max) {
    return blocks.computeIfAbsent(layer + (max ? "/max" : "/mean"), k -> {
      ConvertedBlock b = network.newBlock(manager, layer, max, false, -1);
      b.getParameters().values().forEach(p -> p.freeze(true));
      return b;
    });
  }

  @Override
  public TrainableBackbone openTrainable(Device target, Map<String, String> options) {
    VisionOptions parsed = VisionOptions.parse(options, network.name(), network.layers(),
        network.spec().height());
    return ConvertedTrainable.open(network, parsed, target == null ? device : target);
  }

  @Override
  public void close() {
    manager.close();
  }
}
