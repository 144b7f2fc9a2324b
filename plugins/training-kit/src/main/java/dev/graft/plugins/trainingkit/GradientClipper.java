package dev.graft.plugins.trainingkit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import java.util.ArrayList;
import java.util.List;

/**
 * Clips gradients by their global L2 norm, in place, before the optimizer reads them. Stateless
 * and thread-safe; the gradient views it takes live in the caller's per-batch scope.
 */
final class GradientClipper {
  private GradientClipper() {}

  /**
   * Scales the gradients of the trainable {@code parameters} so that their global norm is at most
   * {@code maxNorm}.
   *
   * @return the global norm before clipping
   */
  static double clip(List<Parameter> parameters, float maxNorm, NDManager scope) {
    List<NDArray> grads = new ArrayList<>();
    double squares = 0;
    for (Parameter p : parameters) {
      if (!p.requiresGradient()) {
        continue;
      }
      NDArray g = p.getArray().getGradient();
      g.attach(scope);
      grads.add(g);
      squares += g.square().sum().getFloat();
    }
    double norm = Math.sqrt(squares);
    if (!Double.isFinite(norm)) {
      return norm; // the caller refuses the step, so no weight becomes NaN
    }
    if (maxNorm > 0 && norm > maxNorm) {
      float factor = (float) (maxNorm / (norm + 1e-6));
      for (NDArray g : grads) {
        g.muli(factor);
      }
    }
    return norm;
  }
}
