package dev.graft.plugins.vision.keras;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/** Global pooling over the spatial axes of NCHW arrays (one axis at a time, as every engine can). */
final class Spatial {
  private Spatial() {}

  /** [N, C, H, W] → [N, C] (or [N, C, 1, 1] with {@code keep}), by mean or max. */
  static NDArray pool(NDArray x, boolean max, boolean keep) {
    Shape s = x.getShape();
    NDArray flat = x.reshape(s.get(0), s.get(1), s.get(2) * s.get(3));
    NDArray y = max ? flat.max(new int[] {2}) : flat.mean(new int[] {2});
    return keep ? y.reshape(s.get(0), s.get(1), 1, 1) : y;
  }
}
