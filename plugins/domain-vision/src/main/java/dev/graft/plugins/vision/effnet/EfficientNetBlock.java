package dev.graft.plugins.vision.effnet;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.graft.plugins.vision.block.ConvertedBlock;
import dev.graft.plugins.vision.effnet.EfficientNetArchitecture.MbConv;
import dev.graft.plugins.vision.torch.TorchTensor;
import dev.graft.spi.ParameterGroup;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * An EfficientNet(-Lite) as one DJL block computing in NCHW: an image batch [batch, 3, h, w]
 * (normalised as the weights expect) in, the chosen feature layer pooled over space (mean or
 * max) to [batch, channels] out. Only the blocks that layer needs are built. Parameters and
 * batch-norm statistics are named as in the lukemelas/EfficientNet-PyTorch state dict
 * ({@code _conv_stem.weight}, {@code _blocks.3._bn1.running_mean}, …), so such a state dict
 * loads directly; the classifier ({@code _fc}) is not part of the block.
 *
 * <p>Parameter groups, bottom first: {@code stem} (stem convolution and its batch norm),
 * {@code block_0} … {@code block_15} (one per MBConv block) and {@code head} (when the head is
 * the output). Batch-norm running statistics are state arrays ({@link #buffers}), not
 * parameters: no optimizer touches them; a training pass updates them in place only when built
 * with {@code trainBatchNorm}.
 *
 * <p>Thread-safety: keeps no state between calls; inference passes may run concurrently.
 * Ownership: {@link #initialize} creates the arrays in the given manager, whose owner frees them.
 */
public final class EfficientNetBlock extends AbstractBlock implements ConvertedBlock {
  private static final float MOMENTUM = 0.9f;

  private final EfficientNetArchitecture arch;
  private final int depth;
  private final boolean head;
  private final int dimension;
  private final boolean poolMax;
  private final boolean trainBatchNorm;
  private final Map<String, Parameter> params = new LinkedHashMap<>();
  private final Map<String, long[]> bufferShapes = new LinkedHashMap<>();
  private final Map<String, NDArray> buffers = new LinkedHashMap<>();
  private final List<ParameterGroup> groups;

  /**
   * Builds the network up to {@code layer} ({@code head} or {@code stageN}).
   *
   * @throws IllegalArgumentException for an unknown layer
   */
  public EfficientNetBlock(EfficientNetArchitecture arch, String layer, boolean poolMax,
      boolean trainBatchNorm) {
    this.arch = arch;
    int[] extent = arch.extent(layer);
    this.depth = extent[0];
    this.dimension = extent[1];
    this.head = layer.equals(EfficientNetArchitecture.HEAD);
    this.poolMax = poolMax;
    this.trainBatchNorm = trainBatchNorm;
    List<ParameterGroup> list = new ArrayList<>();
    List<Parameter> stem = new ArrayList<>();
    stem.add(conv("_conv_stem", arch.stemChannels(), 3, 3));
    batchNorm("_bn0", arch.stemChannels(), stem);
    list.add(new ParameterGroup("stem", stem));
    for (MbConv b : arch.blocks().subList(0, depth)) {
      String p = "_blocks." + b.index() + ".";
      List<Parameter> group = new ArrayList<>();
      if (b.expand() != 1) {
        group.add(conv(p + "_expand_conv", b.mid(), b.in(), 1));
        batchNorm(p + "_bn0", b.mid(), group);
      }
      group.add(conv(p + "_depthwise_conv", b.mid(), 1, b.kernel()));
      batchNorm(p + "_bn1", b.mid(), group);
      group.add(conv(p + "_project_conv", b.out(), b.mid(), 1));
      batchNorm(p + "_bn2", b.out(), group);
      list.add(new ParameterGroup("block_" + b.index(), group));
    }
    if (head) {
      List<Parameter> group = new ArrayList<>();
      int in = arch.blocks().get(arch.blocks().size() - 1).out();
      group.add(conv("_conv_head", arch.headChannels(), in, 1));
      batchNorm("_bn1", arch.headChannels(), group);
      list.add(new ParameterGroup("head", group));
    }
    this.groups = List.copyOf(list);
  }

  private Parameter conv(String name, int out, int in, int kernel) {
    return param(name + ".weight", Parameter.Type.WEIGHT, new Shape(out, in, kernel, kernel));
  }

  private void batchNorm(String name, int channels, List<Parameter> group) {
    group.add(param(name + ".weight", Parameter.Type.GAMMA, new Shape(channels)));
    group.add(param(name + ".bias", Parameter.Type.BETA, new Shape(channels)));
    bufferShapes.put(name + ".running_mean", new long[] {channels});
    bufferShapes.put(name + ".running_var", new long[] {channels});
  }

  private Parameter param(String name, Parameter.Type type, Shape shape) {
    Parameter p = Parameter.builder().setName(name).setType(type).optShape(shape).build();
    addParameter(p);
    params.put(name, p);
    return p;
  }

  /**
   * Creates every array in {@code manager}: from {@code weights} (a state dict with the names
   * above) when {@code seed < 0}, otherwise freshly from {@code seed} (He-normal convolutions,
   * identity batch norms) — the same architecture for training from scratch.
   *
   * @throws IllegalArgumentException when a weight is missing or has another shape
   */
  public void initialize(NDManager manager, Map<String, TorchTensor> weights, long seed) {
    Random random = seed < 0 ? null : new Random(seed);
    for (Map.Entry<String, Parameter> e : params.entrySet()) {
      Parameter p = e.getValue();
      float[] values = random == null ? stored(weights, e.getKey(), p.getShape().getShape())
          : fresh(p, random);
      p.setInitializer((m, shape, type) -> m.create(values, shape));
      p.initialize(manager, DataType.FLOAT32);
    }
    for (Map.Entry<String, long[]> e : bufferShapes.entrySet()) {
      float[] values;
      if (random == null) {
        values = stored(weights, e.getKey(), e.getValue());
      } else {
        values = new float[(int) e.getValue()[0]];
        if (e.getKey().endsWith("running_var")) {
          java.util.Arrays.fill(values, 1f);
        }
      }
      buffers.put(e.getKey(), manager.create(values, new Shape(e.getValue())));
    }
  }

  /**
   * Checks that {@code weights} holds every parameter and statistic of this block with the
   * right shape, without creating arrays.
   *
   * @throws IllegalArgumentException naming the first missing or misshapen weight
   */
  public void check(Map<String, TorchTensor> weights) {
    params.forEach((name, p) -> stored(weights, name, p.getShape().getShape()));
    bufferShapes.forEach((name, shape) -> stored(weights, name, shape));
  }

  private static float[] stored(Map<String, TorchTensor> weights, String name, long[] shape) {
    TorchTensor t = weights.get(name);
    if (t == null || !t.isFloat()) {
      throw new IllegalArgumentException("the state dict has no float tensor '" + name + "'");
    }
    if (!java.util.Arrays.equals(t.shape(), shape)) {
      throw new IllegalArgumentException("'" + name + "' has shape "
          + java.util.Arrays.toString(t.shape()) + ", the architecture needs "
          + java.util.Arrays.toString(shape));
    }
    return t.floats();
  }

  private static float[] fresh(Parameter p, Random random) {
    Shape s = p.getShape();
    float[] v = new float[Math.toIntExact(s.size())];
    switch (p.getType()) {
      case GAMMA -> java.util.Arrays.fill(v, 1f);
      case BETA -> { }
      default -> {
        double std = Math.sqrt(2.0 / (s.size() / s.get(0)));
        for (int i = 0; i < v.length; i++) {
          v[i] = (float) (random.nextGaussian() * std);
        }
      }
    }
    return v;
  }

  /** The parameter groups, bottom first, covering every parameter once. */
  @Override
  public List<ParameterGroup> groups() {
    return groups;
  }

  /**
   * The batch-norm running statistics by state-dict name, in a fixed order (created by
   * {@link #initialize}).
   */
  @Override
  public Map<String, NDArray> buffers() {
    return java.util.Collections.unmodifiableMap(buffers);
  }

  /** The width of the pooled output. */
  @Override
  public int dimension() {
    return dimension;
  }

  @Override
  protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training,
      PairList<String, Object> extra) {
    NDArray x = inputs.get(0);
    Device device = x.getDevice();
    Pass pass = new Pass(store, device, training);
    x = pass.relu6(pass.bn("_bn0", pass.conv("_conv_stem", x, 2, 1)));
    for (MbConv b : arch.blocks().subList(0, depth)) {
      String p = "_blocks." + b.index() + ".";
      NDArray y = x;
      if (b.expand() != 1) {
        y = pass.relu6(pass.bn(p + "_bn0", pass.conv(p + "_expand_conv", y, 1, 1)));
      }
      y = pass.relu6(pass.bn(p + "_bn1", pass.conv(p + "_depthwise_conv", y, b.stride(),
          b.mid())));
      y = pass.bn(p + "_bn2", pass.conv(p + "_project_conv", y, 1, 1));
      x = b.residual() ? y.add(x) : y;
    }
    if (head) {
      x = pass.relu6(pass.bn("_bn1", pass.conv("_conv_head", x, 1, 1)));
    }
    Shape s = x.getShape();
    NDArray flat = x.reshape(s.get(0), s.get(1), s.get(2) * s.get(3));
    return new NDList(poolMax ? flat.max(new int[] {2}) : flat.mean(new int[] {2}));
  }

  /** One forward pass's view of the parameters. */
  private final class Pass {
    private final ParameterStore store;
    private final Device device;
    private final boolean training;

    Pass(ParameterStore store, Device device, boolean training) {
      this.store = store;
      this.device = device;
      this.training = training;
    }

    NDArray value(String name) {
      return store.getValue(params.get(name), device, training);
    }

    /** Convolution with TensorFlow "same" padding (extra row/column bottom/right). */
    NDArray conv(String name, NDArray x, int stride, int groups) {
      NDArray w = value(name + ".weight");
      int k = (int) w.getShape().get(2);
      int[] h = same(x.getShape().get(2), k, stride);
      int[] v = same(x.getShape().get(3), k, stride);
      Shape pad = new Shape(0, 0);
      if (h[0] == h[1] && v[0] == v[1]) {
        pad = new Shape(h[0], v[0]);
      } else {
        x = x.pad(new Shape(v[0], v[1], h[0], h[1]), 0);
      }
      return Conv2d.conv2d(x, w, null, new Shape(stride, stride), pad, new Shape(1, 1), groups)
          .singletonOrThrow();
    }

    NDArray bn(String name, NDArray x) {
      return BatchNorm.batchNorm(x, buffers.get(name + ".running_mean"),
          buffers.get(name + ".running_var"), value(name + ".weight"), value(name + ".bias"), 1,
          MOMENTUM, arch.epsilon(), training && trainBatchNorm).singletonOrThrow();
    }

    NDArray relu6(NDArray x) {
      return x.clip(0, 6);
    }
  }

  private static int[] same(long size, int kernel, int stride) {
    long out = (size + stride - 1) / stride;
    int total = (int) Math.max((out - 1) * stride + kernel - size, 0);
    return new int[] {total / 2, total - total / 2};
  }

  @Override
  public Shape[] getOutputShapes(Shape[] inputShapes) {
    return new Shape[] {new Shape(inputShapes[0].get(0), dimension)};
  }
}
