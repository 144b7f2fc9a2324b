package dev.graft.plugins.nlp.onnx;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The parts of an ONNX model's main graph that Graft reads: its nodes, initializers and the
 * names of its inputs and outputs. Immutable; tensors alias the bytes the file was read into.
 */
public final class OnnxGraph {
  private final List<OnnxNode> nodes;
  private final Map<String, OnnxTensor> initializers;
  private final List<String> inputs;
  private final List<String> outputs;
  private final Map<String, OnnxNode> byName = new HashMap<>();
  private final Map<String, OnnxNode> byOutput = new HashMap<>();

  OnnxGraph(
      List<OnnxNode> nodes,
      Map<String, OnnxTensor> initializers,
      List<String> inputs,
      List<String> outputs) {
    this.nodes = List.copyOf(nodes);
    this.initializers = Map.copyOf(initializers);
    this.inputs = List.copyOf(inputs);
    this.outputs = List.copyOf(outputs);
    for (OnnxNode node : this.nodes) {
      byName.putIfAbsent(node.name(), node);
      for (String out : node.outputs()) {
        byOutput.put(out, node);
      }
    }
  }

  public List<OnnxNode> nodes() {
    return nodes;
  }

  public Map<String, OnnxTensor> initializers() {
    return initializers;
  }

  /** The graph inputs that are not initializers. */
  public List<String> inputs() {
    return inputs.stream().filter(n -> !initializers.containsKey(n)).toList();
  }

  public List<String> outputs() {
    return outputs;
  }

  /** The node with this name. */
  public Optional<OnnxNode> node(String name) {
    return Optional.ofNullable(byName.get(name));
  }

  /** The node that produces the value {@code output}. */
  public Optional<OnnxNode> producer(String output) {
    return Optional.ofNullable(byOutput.get(output));
  }

  /** The constant value named {@code value}: an initializer or a Constant node's tensor. */
  public Optional<OnnxTensor> constant(String value) {
    OnnxTensor init = initializers.get(value);
    if (init != null) {
      return Optional.of(init);
    }
    OnnxNode node = byOutput.get(value);
    if (node != null && node.opType().equals("Constant")) {
      OnnxNode.Attribute value0 = node.attributes().get("value");
      if (value0 != null && value0.tensor() != null) {
        return Optional.of(value0.tensor());
      }
    }
    return Optional.empty();
  }
}
