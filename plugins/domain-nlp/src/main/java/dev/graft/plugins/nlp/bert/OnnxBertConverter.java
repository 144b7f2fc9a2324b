package dev.graft.plugins.nlp.bert;

import dev.graft.plugins.nlp.onnx.OnnxGraph;
import dev.graft.plugins.nlp.onnx.OnnxNode;
import dev.graft.plugins.nlp.onnx.OnnxTensor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Recovers a BERT encoder's shape and weights from its ONNX export. Embeddings, LayerNorms and
 * biases keep their Hugging Face names as initializers; dense matrices are either named
 * initializers ({@code ...query.weight}, {@code [out, in]}) or anonymous ones
 * ({@code onnx::MatMul_787}, {@code [in, out]}) found through the MatMul node that reads them
 * ({@code /encoder/layer.0/attention/self/query/MatMul}) and transposed. A name prefix
 * ({@code bert.}) is allowed. Stateless and thread-safe.
 */
public final class OnnxBertConverter {
  static final String[] DENSES = {
    "attention.self.query", "attention.self.key", "attention.self.value",
    "attention.output.dense", "intermediate.dense", "output.dense"};
  static final String[] NORMS = {"attention.output.LayerNorm", "output.LayerNorm"};
  private static final String WORDS = "embeddings.word_embeddings.weight";
  private static final String FIRST_QUERY = "encoder/layer.0/attention/self/query/MatMul";
  private static final float DEFAULT_EPS = 1e-12f;
  /** Operators of quantised graphs (ONNX and ONNX Runtime's com.microsoft domain). */
  private static final Set<String> QUANTIZED_OPS = Set.of(
      "MatMulInteger", "DynamicQuantizeLinear", "QuantizeLinear", "DequantizeLinear",
      "QLinearMatMul", "ConvInteger", "QLinearConv", "DynamicQuantizeMatMul",
      "MatMulIntegerToFloat", "QAttention", "QGemm", "QOrderedMatMul", "MatMulNBits");

  private final OnnxGraph graph;
  private final String prefix;
  private final String nodePrefix;
  private final boolean copy;
  private final Map<String, float[]> tensors = new HashMap<>();
  private final Map<String, Long> sizes = new HashMap<>();

  private OnnxBertConverter(OnnxGraph graph, String prefix, String nodePrefix, boolean copy) {
    this.graph = graph;
    this.prefix = prefix;
    this.nodePrefix = nodePrefix;
    this.copy = copy;
  }

  /**
   * The encoder's shape, checked like {@link #convert} but without copying any weight.
   *
   * @throws NotBertShapedException naming the first thing that does not fit
   */
  public static BertConfig inspect(OnnxGraph graph, int heads) throws NotBertShapedException {
    return start(graph, false).convert(heads).config();
  }

  /**
   * The encoder's weights.
   *
   * @param heads the number of attention heads when the model declares it, else 0 (read from
   *     the graph's reshapes)
   * @throws NotBertShapedException naming the first thing that does not fit
   */
  public static BertWeights convert(OnnxGraph graph, int heads) throws NotBertShapedException {
    return start(graph, true).convert(heads);
  }

  private static OnnxBertConverter start(OnnxGraph graph, boolean copy)
      throws NotBertShapedException {
    Map<String, Integer> quantized = new TreeMap<>();
    for (OnnxNode node : graph.nodes()) {
      if (QUANTIZED_OPS.contains(node.opType())) {
        quantized.merge(node.opType(), 1, Integer::sum);
      }
    }
    if (!quantized.isEmpty()) {
      throw new NotBertShapedException("its graph is quantised (" + quantized.entrySet().stream()
          .map(e -> e.getValue() + " " + e.getKey()).collect(Collectors.joining(", "))
          + " nodes) and only a floating-point graph can be rebuilt with trainable weights");
    }
    String prefix = null;
    for (String name : graph.initializers().keySet()) {
      if (name.endsWith(WORDS)) {
        prefix = name.substring(0, name.length() - WORDS.length());
        break;
      }
    }
    if (prefix == null) {
      throw new NotBertShapedException(
          "it has no word-embedding initializer named '" + WORDS + "'");
    }
    String nodePrefix = "/";
    for (OnnxNode node : graph.nodes()) {
      if (node.opType().equals("MatMul") && node.name().endsWith(FIRST_QUERY)) {
        nodePrefix = node.name().substring(0, node.name().length() - FIRST_QUERY.length());
        break;
      }
    }
    return new OnnxBertConverter(graph, prefix, nodePrefix, copy);
  }

  private BertWeights convert(int declaredHeads) throws NotBertShapedException {
    take("embeddings.word_embeddings.weight");
    long[] wordDims = dims("embeddings.word_embeddings.weight");
    if (wordDims.length != 2) {
      throw new NotBertShapedException("its word embeddings are not a matrix");
    }
    int vocab = Math.toIntExact(wordDims[0]);
    int hidden = Math.toIntExact(wordDims[1]);
    take("embeddings.position_embeddings.weight");
    int positions = Math.toIntExact(dims("embeddings.position_embeddings.weight")[0]);
    int types = 0;
    if (has("embeddings.token_type_embeddings.weight")) {
      take("embeddings.token_type_embeddings.weight");
      types = Math.toIntExact(dims("embeddings.token_type_embeddings.weight")[0]);
    }
    take("embeddings.LayerNorm.weight");
    take("embeddings.LayerNorm.bias");
    int layers = 0;
    while (has("encoder.layer." + layers + ".attention.self.query.bias")) {
      layers++;
    }
    if (layers == 0) {
      throw new NotBertShapedException(
          "it has no initializer '" + prefix + "encoder.layer.0.attention.self.query.bias'");
    }
    int intermediate = 0;
    for (int l = 0; l < layers; l++) {
      for (String dense : DENSES) {
        denseWeight("encoder.layer." + l + "." + dense);
        take("encoder.layer." + l + "." + dense + ".bias");
      }
      for (String norm : NORMS) {
        take("encoder.layer." + l + "." + norm + ".weight");
        take("encoder.layer." + l + "." + norm + ".bias");
      }
      intermediate = Math.toIntExact(sizes.get("encoder.layer." + l + ".intermediate.dense.bias"));
    }
    boolean pooler = has("pooler.dense.bias");
    if (pooler) {
      denseWeight("pooler.dense");
      take("pooler.dense.bias");
    }
    int heads = declaredHeads > 0 ? declaredHeads : heads(hidden);
    if (hidden % heads != 0) {
      throw new NotBertShapedException(
          "its hidden size " + hidden + " is not a multiple of " + heads + " attention heads");
    }
    BertConfig config = new BertConfig(vocab, hidden, layers, heads, intermediate, positions,
        types, eps(), pooler);
    checkShapes(config);
    return new BertWeights(config, tensors);
  }

  private void checkShapes(BertConfig c) throws NotBertShapedException {
    long h = c.hidden();
    Map<String, Long> expected = new HashMap<>();
    expected.put("embeddings.position_embeddings.weight", c.maxPositions() * h);
    expected.put("embeddings.LayerNorm.weight", h);
    for (int l = 0; l < c.layers(); l++) {
      String p = "encoder.layer." + l + ".";
      for (String d : new String[] {"attention.self.query", "attention.self.key",
          "attention.self.value", "attention.output.dense"}) {
        expected.put(p + d + ".weight", h * h);
        expected.put(p + d + ".bias", h);
      }
      expected.put(p + "intermediate.dense.weight", h * c.intermediate());
      expected.put(p + "output.dense.weight", h * c.intermediate());
      expected.put(p + "output.dense.bias", h);
      for (String n : NORMS) {
        expected.put(p + n + ".weight", h);
        expected.put(p + n + ".bias", h);
      }
    }
    for (Map.Entry<String, Long> e : expected.entrySet()) {
      if (!sizes.get(e.getKey()).equals(e.getValue())) {
        throw new NotBertShapedException("'" + e.getKey() + "' has " + sizes.get(e.getKey())
            + " values; a BERT layer of hidden size " + h + " needs " + e.getValue());
      }
    }
  }

  /** A dense weight as {@code [out, in]}: a named initializer, or the MatMul's operand transposed. */
  private void denseWeight(String name) throws NotBertShapedException {
    if (has(name + ".weight")) {
      take(name + ".weight");
      return;
    }
    String nodeName = matMulNode(name);
    OnnxNode node = graph.node(nodeName).orElseThrow(() -> new NotBertShapedException(
        "it has neither '" + prefix + name + ".weight' nor a MatMul node '" + nodeName + "'"));
    OnnxTensor matrix = null;
    for (String input : node.inputs()) {
      Optional<OnnxTensor> c = graph.constant(input);
      if (c.isPresent() && c.get().dims().length == 2) {
        matrix = c.get();
      }
    }
    if (matrix == null) {
      throw new NotBertShapedException("MatMul node '" + nodeName + "' has no constant matrix");
    }
    if (matrix.dataType() != OnnxTensor.FLOAT) {
      throw new NotBertShapedException("the matrix of '" + nodeName + "' is not float32"
          + " (quantized or half-precision encoders cannot be trained)");
    }
    int in = Math.toIntExact(matrix.dims()[0]);
    int out = Math.toIntExact(matrix.dims()[1]);
    sizes.put(name + ".weight", (long) in * out);
    if (!copy) {
      return;
    }
    float[] values = floats(matrix);
    float[] transposed = new float[values.length];
    for (int i = 0; i < in; i++) {
      for (int o = 0; o < out; o++) {
        transposed[o * in + i] = values[i * out + o];
      }
    }
    tensors.put(name + ".weight", transposed);
  }

  /** "encoder.layer.3.attention.self.query" → "/encoder/layer.3/attention/self/query/MatMul". */
  private String matMulNode(String name) {
    String layer = "encoder.layer.";
    String path;
    if (name.startsWith(layer)) {
      String rest = name.substring(layer.length());
      int dot = rest.indexOf('.');
      path = "encoder/layer." + rest.substring(0, dot) + "/" + rest.substring(dot + 1).replace('.', '/');
    } else {
      path = name.replace('.', '/');
    }
    return nodePrefix + path + "/MatMul";
  }

  /** Heads from the first attention's reshape to {@code [batch, seq, heads, head_size]}. */
  private int heads(int hidden) throws NotBertShapedException {
    String base = nodePrefix + "encoder/layer.0/attention/self/";
    for (OnnxNode node : graph.nodes()) {
      if (!node.name().startsWith(base) || !node.opType().equals("Reshape")
          || node.inputs().size() < 2) {
        continue;
      }
      List<Long> fixed = new ArrayList<>();
      Optional<OnnxTensor> shape = graph.constant(node.inputs().get(1));
      if (shape.isPresent()) {
        for (long v : shape.get().toLongs()) {
          fixed.add(v);
        }
      } else {
        Optional<OnnxNode> concat = graph.producer(node.inputs().get(1));
        if (concat.isEmpty() || !concat.get().opType().equals("Concat")) {
          continue;
        }
        for (String part : concat.get().inputs()) {
          Optional<OnnxTensor> c = graph.constant(part);
          if (c.isPresent() && c.get().size() == 1) {
            fixed.add(c.get().toLongs()[0]);
          }
        }
      }
      int n = fixed.size();
      if (n >= 2 && fixed.get(n - 2) * fixed.get(n - 1) == hidden && fixed.get(n - 1) > 0) {
        return Math.toIntExact(fixed.get(n - 2));
      }
    }
    throw new NotBertShapedException("cannot tell its number of attention heads from the graph;"
        + " set the model property 'attention_heads'");
  }

  /** The LayerNorm epsilon: a LayerNormalization attribute or the constant added to the variance. */
  private float eps() {
    for (OnnxNode node : graph.nodes()) {
      if (node.opType().equals("LayerNormalization") && node.attributes().containsKey("epsilon")) {
        return node.attributes().get("epsilon").f();
      }
    }
    Optional<OnnxNode> add = graph.node(nodePrefix + "embeddings/LayerNorm/Add");
    if (add.isPresent()) {
      for (String input : add.get().inputs()) {
        Optional<OnnxTensor> c = graph.constant(input);
        if (c.isPresent() && c.get().size() == 1) {
          return (float) c.get().scalar();
        }
      }
    }
    return DEFAULT_EPS;
  }

  private boolean has(String name) {
    return graph.initializers().containsKey(prefix + name);
  }

  private long[] dims(String name) {
    return graph.initializers().get(prefix + name).dims();
  }

  private void take(String name) throws NotBertShapedException {
    OnnxTensor t = graph.initializers().get(prefix + name);
    if (t == null) {
      throw new NotBertShapedException("it has no initializer '" + prefix + name + "'");
    }
    if (t.dataType() != OnnxTensor.FLOAT) {
      throw new NotBertShapedException("weight " + t.name() + " is not float32 (quantized or"
          + " half-precision encoders cannot be trained)");
    }
    sizes.put(name, t.size());
    if (copy) {
      tensors.put(name, floats(t));
    }
  }

  private static float[] floats(OnnxTensor t) throws NotBertShapedException {
    try {
      return t.toFloats();
    } catch (IllegalStateException e) {
      throw new NotBertShapedException("weight " + e.getMessage()
          + " (quantized or half-precision encoders cannot be trained)");
    }
  }
}
