package dev.graft.plugins.nlp.onnx;

import java.util.List;
import java.util.Map;

/**
 * One node of an ONNX graph, with the attributes Graft reads (float, int and tensor values).
 * Immutable.
 *
 * @param name the node's name ("/encoder/layer.0/attention/self/query/MatMul")
 * @param opType the operator ("MatMul", "Constant", ...)
 * @param inputs the names of its input values
 * @param outputs the names of its output values
 * @param attributes its attributes by name
 */
public record OnnxNode(
    String name,
    String opType,
    List<String> inputs,
    List<String> outputs,
    Map<String, Attribute> attributes) {

  public OnnxNode {
    inputs = List.copyOf(inputs);
    outputs = List.copyOf(outputs);
    attributes = Map.copyOf(attributes);
  }

  /**
   * An attribute's value: {@code f}, {@code i} or {@code t} as the attribute's type says.
   *
   * @param tensor the tensor value, or null
   */
  public record Attribute(String name, float f, long i, OnnxTensor tensor) {}
}
