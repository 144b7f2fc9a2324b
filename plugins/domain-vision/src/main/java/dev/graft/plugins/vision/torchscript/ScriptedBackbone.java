package dev.graft.plugins.vision.torchscript;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import dev.graft.plugins.vision.ImageBatches;
import dev.graft.plugins.vision.OutputProbe;
import dev.graft.plugins.vision.VisionOptions;
import dev.graft.plugins.vision.image.InputSpec;
import dev.graft.spi.Backbone;
import dev.graft.spi.BaseModel;
import dev.graft.spi.FeatureRequest;
import dev.graft.spi.GraftException;
import dev.graft.spi.ModelInput;
import dev.graft.spi.Pooling;
import dev.graft.spi.TrainableBackbone;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A TorchScript image module (format {@code torchscript}, file {@value ScriptedNetwork#MODEL_FILE})
 * as a backbone on the PyTorch engine: images preprocessed as the base model's properties say
 * ({@link ScriptedNetwork}), the module's output pooled over space (mean by default, or max)
 * when it is a feature map, is the feature vector of its one layer {@value #LAYER}; the width is
 * found by a probe pass at open ({@link OutputProbe}: a fixed image whose features must be
 * finite). {@link #openTrainable} gives each job its own copy of the
 * module, trainable (fine-tuning, knowledge transfer).
 *
 * <p>Thread-safety: {@link #extract} may run concurrently (inference passes over one shared
 * module, each in its own NDManager scope). Ownership: the opener closes it, which frees the
 * module.
 */
public final class ScriptedBackbone implements Backbone {
  /** The name of the one feature layer: the module's output. */
  public static final String LAYER = "output";
  private static final int CHUNK = 32;

  private final ScriptedNetwork network;
  private final Device device;
  private final NDManager manager;
  private final ImageBatches batches;
  private final Map<Boolean, ScriptedBlock> blocks = new HashMap<>();
  private final int dimension;

  private ScriptedBackbone(ScriptedNetwork network, Device device, NDManager manager) {
    this.network = network;
    this.device = device;
    this.manager = manager;
    this.batches = new ImageBatches(network.spec());
    this.dimension = probe();
  }

  /**
   * Opens the TorchScript file of {@code base} on {@code device} and runs one probe pass.
   *
   * @throws GraftException FAILED_PRECONDITION when the file is missing, is no TorchScript
   *     module, calls operators outside the audit's allow-list (FORBIDDEN_OPERATOR, see
   *     {@code OperatorAudit}), or the module fails on the declared input, returns no
   *     [N, C, H, W] or [N, D], or gives features that are not finite (NON_FINITE_OUTPUT)
   */
  public static ScriptedBackbone open(BaseModel base, Device device) {
    ScriptedNetwork network = ScriptedNetwork.of(base);
    NDManager manager = NDManager.newBaseManager(device, ScriptedNetwork.ENGINE);
    try {
      return new ScriptedBackbone(network, device, manager);
    } catch (RuntimeException e) {
      manager.close();
      throw e;
    }
  }

  private int probe() {
    InputSpec spec = network.spec();
    try (NDManager scope = manager.newSubManager()) {
      NDArray x = batches.array(scope, List.of(OutputProbe.image(spec)), 0, null);
      NDArray y = forward(block(false), scope, x);
      OutputProbe.requireFinite(y.toFloatArray(), network.name());
      return (int) y.getShape().get(1);
    } catch (GraftException e) {
      throw e;
    } catch (RuntimeException e) {
      throw GraftException.failedPrecondition("MODEL_FORWARD_FAILED", network.name()
          + " fails on a " + spec.channels() + "x" + spec.height() + "x" + spec.width()
          + " image (check input_size and input_channels): " + firstLine(e.getMessage()));
    }
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "no reason given";
    }
    int end = message.indexOf('\n');
    return end < 0 ? message : message.substring(0, end);
  }

  @Override
  public List<String> layers() {
    return List.of(LAYER);
  }

  @Override
  public int dimension() {
    return dimension;
  }

  @Override
  public float[][] extract(List<ModelInput> inputs, FeatureRequest request) {
    if (!request.layer().isEmpty() && !request.layer().equals(LAYER)) {
      throw GraftException.invalidArgument("layer", "UNKNOWN_LAYER", "a TorchScript image"
          + " backbone gives its '" + LAYER + "' only; '" + request.layer() + "' is not available");
    }
    if (request.pooling() == Pooling.CLS) {
      throw GraftException.invalidArgument("pooling", "UNSUPPORTED_POOLING",
          "an image backbone pools by mean or max, not cls");
    }
    batches.checkBudget(inputs, 0);
    ScriptedBlock block = block(request.pooling() == Pooling.MAX);
    float[][] out = new float[inputs.size()][];
    for (int start = 0; start < inputs.size(); start += CHUNK) {
      List<ModelInput> chunk = inputs.subList(start, Math.min(inputs.size(), start + CHUNK));
      try (NDManager scope = manager.newSubManager()) {
        NDArray y = forward(block, scope, batches.array(scope, chunk, start, null));
        if (request.normalize()) {
          y = y.div(y.norm(new int[] {1}, true).add(1e-12f));
        }
        float[] flat = y.toFloatArray();
        int width = (int) y.getShape().get(1);
        for (int i = 0; i < chunk.size(); i++) {
          out[start + i] = Arrays.copyOfRange(flat, i * width, (i + 1) * width);
        }
      }
    }
    return out;
  }

  private static NDArray forward(ScriptedBlock block, NDManager scope, NDArray x) {
    return block.forward(new ParameterStore(scope, false), new NDList(x), false)
        .singletonOrThrow();
  }

  /** One module per pooling, loaded on first use, frozen. */
  private synchronized ScriptedBlock block(boolean max) {
    return blocks.computeIfAbsent(max, k -> {
      ScriptedBlock b = new ScriptedBlock(network.load(manager), max);
      b.moduleParameters().forEach(p -> p.freeze(true));
      return b;
    });
  }

  @Override
  public TrainableBackbone openTrainable(Device target, Map<String, String> options) {
    Map<String, String> resolved = new HashMap<>(options);
    String bn = resolved.putIfAbsent("batchnorm", "frozen");
    if (bn != null && !bn.equals("frozen")) {
      throw GraftException.invalidArgument("hyperparameters.extra[batchnorm]", "BAD_OPTION",
          "a TorchScript backbone trains with batch norms frozen (DJL cannot save a module's"
              + " running statistics); batchnorm must be frozen, got '" + bn + "'");
    }
    VisionOptions parsed = VisionOptions.parse(resolved, network.name(), layers(),
        network.spec().height());
    return ScriptedTrainable.open(network, parsed, dimension, target == null ? device : target);
  }

  @Override
  public void close() {
    manager.close();
  }
}
