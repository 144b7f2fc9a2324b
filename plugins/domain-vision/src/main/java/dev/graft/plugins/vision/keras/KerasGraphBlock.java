package dev.graft.plugins.vision.keras;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.graft.plugins.vision.block.ConvertedBlock;
import dev.graft.spi.ParameterGroup;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Keras functional model converted into one DJL block that computes in NCHW: the input is an
 * image batch [batch, channels, height, width] (float32, already normalised as the model
 * expects); the output is the named layer's activations, pooled over space to
 * [batch, channels] (mean or max) when they are still an image, or returned as they are
 * otherwise. Only the layers that output depends on are built.
 *
 * <p>Parameters are grouped bottom → top: a layer whose name carries a block prefix
 * ({@code block_N}, {@code expanded_conv}, {@code stage_N}) joins that block's group; a
 * BatchNormalization joins the group of the layer that feeds it; other layers with weights form
 * a group of their own.
 *
 * <p>Thread-safety: keeps no state between calls; inference passes may run concurrently.
 * Ownership: {@link #initialize(NDManager, TfjsLayersModel, long)} creates the parameter arrays in
 * the given manager, whose owner frees them.
 */
public final class KerasGraphBlock extends AbstractBlock implements ConvertedBlock {
  private static final Pattern BLOCK = Pattern.compile("^(block_\\d+|expanded_conv|stage_?\\d+)");

  private final String input;
  private final String output;
  private final boolean poolMax;
  private final Map<String, KerasLayer> layers;
  private final Map<String, LayerOp> ops = new LinkedHashMap<>();
  private final List<ParameterGroup> groups;
  private final Map<String, Integer> channels = new HashMap<>();

  /**
   * Builds the graph from the model's input up to {@code outputLayer}.
   *
   * @param poolMax pool image outputs by max instead of mean
   * @param trainBatchNorm BatchNormalization uses batch statistics in training passes
   * @throws UnsupportedModelException naming the first layer that cannot be converted, or when
   *     {@code outputLayer} is not a layer of the model
   */
  public KerasGraphBlock(TfjsLayersModel model, String outputLayer, boolean poolMax,
      boolean trainBatchNorm) {
    this.layers = model.byName();
    if (!layers.containsKey(outputLayer)) {
      throw new UnsupportedModelException("the model has no layer '" + outputLayer + "'");
    }
    this.input = model.inputLayer();
    this.output = outputLayer;
    this.poolMax = poolMax;
    Set<String> needed = ancestors(outputLayer);
    Map<String, String> groupOf = new HashMap<>();
    Map<String, List<Parameter>> grouped = new LinkedHashMap<>();
    for (KerasLayer layer : model.layers()) {
      if (!needed.contains(layer.name())) {
        continue;
      }
      LayerOp op = LayerOps.create(layer, model, trainBatchNorm);
      ops.put(layer.name(), op);
      channels.put(layer.name(), channels(layer, model));
      String group = groupName(layer, groupOf);
      groupOf.put(layer.name(), group);
      for (LayerOp.Weight w : op.weights()) {
        addParameter(w.parameter());
        grouped.computeIfAbsent(group, g -> new ArrayList<>()).add(w.parameter());
      }
    }
    List<ParameterGroup> list = new ArrayList<>();
    grouped.forEach((name, params) -> list.add(new ParameterGroup(name, params)));
    this.groups = List.copyOf(list);
  }

  private Set<String> ancestors(String layer) {
    Set<String> seen = new HashSet<>();
    Deque<String> todo = new ArrayDeque<>(List.of(layer));
    while (!todo.isEmpty()) {
      String name = todo.pop();
      KerasLayer l = layers.get(name);
      if (l == null) {
        throw new UnsupportedModelException("a layer reads '" + name + "', which the model lacks");
      }
      if (seen.add(name)) {
        todo.addAll(l.inbound());
      }
    }
    if (!seen.contains(input)) {
      throw new UnsupportedModelException("layer '" + layer + "' does not depend on the input");
    }
    return seen;
  }

  /** The number of channels (or features) a layer outputs; -1 when unknown (after Flatten). */
  private int channels(KerasLayer layer, TfjsLayersModel model) {
    String n = layer.name();
    return switch (layer.className()) {
      case "InputLayer" -> model.inputShape()[2];
      case "Conv2D" -> (int) model.shape(n + "/kernel")[3];
      case "DepthwiseConv2D" -> {
        long[] k = model.shape(n + "/depthwise_kernel");
        yield (int) (k[2] * k[3]);
      }
      case "Dense" -> (int) model.shape(n + "/kernel")[1];
      case "Flatten" -> -1;
      case "Concatenate" -> {
        int sum = 0;
        for (String in : layer.inbound()) {
          int c = channels.get(in);
          if (c < 0) {
            yield -1;
          }
          sum += c;
        }
        yield sum;
      }
      default -> channels.get(layer.inbound().get(0));
    };
  }

  /** The width of the vectors this block outputs ([batch, dimension]); -1 when unknown. */
  @Override
  public int dimension() {
    return channels.get(output);
  }

  private static String groupName(KerasLayer layer, Map<String, String> groupOf) {
    Matcher m = BLOCK.matcher(layer.name());
    if (m.find()) {
      return m.group(1);
    }
    if (!layer.inbound().isEmpty() && !layer.className().equals("Dense")
        && !layer.className().startsWith("Conv") && !layer.className().startsWith("Depthwise")) {
      return groupOf.getOrDefault(layer.inbound().get(0), layer.name());
    }
    return layer.name();
  }

  /** The parameter groups, bottom first, covering every parameter once. */
  @Override
  public List<ParameterGroup> groups() {
    return groups;
  }

  /** The name of the layer this block outputs. */
  public String outputLayer() {
    return output;
  }

  /**
   * Creates every parameter in {@code manager}: with the model's saved weights when
   * {@code seed < 0}, otherwise freshly initialised from {@code seed} (He-normal kernels, zero
   * biases, identity batch norms) — the same architecture trained from scratch.
   */
  public void initialize(NDManager manager, TfjsLayersModel model, long seed) {
    Random random = seed < 0 ? null : new Random(seed);
    for (LayerOp op : ops.values()) {
      for (LayerOp.Weight w : op.weights()) {
        Parameter p = w.parameter();
        float[] values = random == null
            ? LayerOp.convert(model.weight(w.kerasName()), w.kerasShape(), w.layout())
            : fresh(w, random);
        if (values.length != p.getShape().size()) {
          throw new UnsupportedModelException(w.kerasName() + " has " + values.length
              + " values for shape " + p.getShape());
        }
        p.setInitializer((m, shape, type) -> m.create(values, shape));
        p.initialize(manager, DataType.FLOAT32);
      }
      for (LayerOp.Buffer b : op.buffers()) {
        float[] values = random == null ? model.weight(b.kerasName) : new float[(int) b.shape[0]];
        if (random != null && b.init == LayerOp.Init.ONES) {
          java.util.Arrays.fill(values, 1f);
        }
        b.array = manager.create(values, new Shape(b.shape));
      }
    }
  }

  /**
   * The state arrays that are not parameters (batch-norm moving statistics), by Keras name, in a
   * fixed order. They live in the manager given to {@link #initialize}; a training pass with
   * batch statistics updates them in place.
   */
  @Override
  public Map<String, NDArray> buffers() {
    Map<String, NDArray> map = new LinkedHashMap<>();
    for (LayerOp op : ops.values()) {
      for (LayerOp.Buffer b : op.buffers()) {
        map.put(b.kerasName, b.array);
      }
    }
    return map;
  }

  private static float[] fresh(LayerOp.Weight w, Random random) {
    long[] djl = LayerOp.djlShape(w.kerasShape(), w.layout());
    int n = Math.toIntExact(new Shape(djl).size());
    float[] v = new float[n];
    switch (w.init()) {
      case ONES -> java.util.Arrays.fill(v, 1f);
      case ZEROS -> { }
      case HE_NORMAL -> {
        long fanIn = 1;
        for (int i = 1; i < djl.length; i++) {
          fanIn *= djl[i];
        }
        double std = Math.sqrt(2.0 / Math.max(1, fanIn));
        for (int i = 0; i < n; i++) {
          v[i] = (float) (random.nextGaussian() * std);
        }
      }
      default -> throw new IllegalStateException(w.init().name());
    }
    return v;
  }

  @Override
  protected NDList forwardInternal(
      ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
    NDArray x = inputs.get(0);
    var device = x.getDevice();
    LayerOp.Values values = p -> store.getValue(p, device, training);
    Map<String, NDArray> outputs = new HashMap<>();
    outputs.put(input, x);
    for (LayerOp op : ops.values()) {
      if (op.layer.name().equals(input)) {
        continue;
      }
      List<NDArray> in = new ArrayList<>();
      for (String from : op.layer.inbound()) {
        in.add(outputs.get(from));
      }
      outputs.put(op.layer.name(), op.forward(in, values, training));
    }
    NDArray y = outputs.get(output);
    if (y.getShape().dimension() == 4) {
      y = Spatial.pool(y, poolMax, false);
    }
    return new NDList(y);
  }

  @Override
  public Shape[] getOutputShapes(Shape[] inputShapes) {
    return new Shape[] {new Shape(inputShapes[0].get(0), dimension())};
  }
}
