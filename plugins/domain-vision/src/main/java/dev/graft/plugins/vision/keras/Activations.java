package dev.graft.plugins.vision.keras;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;
import java.util.Set;

/** The Keras activations the converter supports, by name. Stateless. */
final class Activations {
  private static final Set<String> SUPPORTED =
      Set.of("linear", "relu", "relu6", "sigmoid", "tanh", "softmax", "swish", "silu");

  private Activations() {}

  /** Returns {@code name} when supported, or throws naming the layer. */
  static String check(KerasLayer layer, String name) {
    if (!SUPPORTED.contains(name)) {
      throw layer.unsupported("activation '" + name + "' is not supported " + SUPPORTED);
    }
    return name;
  }

  static NDArray apply(String name, NDArray x) {
    return switch (name) {
      case "linear" -> x;
      case "relu" -> Activation.relu(x);
      case "relu6" -> x.clip(0, 6);
      case "sigmoid" -> Activation.sigmoid(x);
      case "tanh" -> Activation.tanh(x);
      case "swish", "silu" -> x.mul(Activation.sigmoid(x));
      case "softmax" -> x.softmax(x.getShape().dimension() == 4 ? 1 : -1);
      default -> throw new IllegalStateException(name);
    };
  }
}
