package dev.graft.plugins.nlp.bert;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The parameters of one BERT sub-block under their Hugging Face names (relative to the block),
 * in declaration order. Not thread-safe; filled once while a block is built.
 */
final class Weights {
  private final Map<String, Parameter> byName = new LinkedHashMap<>();

  /** Declares a parameter of {@code shape} named {@code name} ("attention.self.query.weight"). */
  Parameter declare(String name, Parameter.Type type, long... shape) {
    Parameter p = Parameter.builder().setName(name).setType(type).optShape(new Shape(shape)).build();
    byName.put(name, p);
    return p;
  }

  Map<String, Parameter> byName() {
    return byName;
  }
}
