package dev.graft.plugins.vision.keras;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import java.util.ArrayList;
import java.util.List;

/**
 * One converted Keras layer, computing in NCHW: its DJL parameters (with how each is laid out in
 * Keras) and its forward function. Stateless after construction; forward passes may run
 * concurrently.
 */
abstract class LayerOp {

  /** How a Keras weight's values map onto the DJL parameter. */
  enum Layout {
    /** The same order (vectors). */
    SAME,
    /** Conv2D kernel [kh, kw, in, out] → [out, in, kh, kw]. */
    CONV,
    /** DepthwiseConv2D kernel [kh, kw, in, mult] → [in * mult, 1, kh, kw]. */
    DEPTHWISE,
    /** Dense kernel [in, out] → [out, in]. */
    DENSE
  }

  /** What a fresh (untrained) parameter starts as. */
  enum Init {
    HE_NORMAL,
    ZEROS,
    ONES
  }

  /** A parameter with the Keras weight it comes from. */
  record Weight(String kerasName, Parameter parameter, long[] kerasShape, Layout layout, Init init) {}

  /**
   * A non-trainable state array (batch-norm moving statistics): not a DJL parameter, so no
   * optimizer or freeze touches it; created by {@link KerasGraphBlock#initialize}.
   */
  static final class Buffer {
    final String kerasName;
    final long[] shape;
    final Init init;
    NDArray array;

    Buffer(String kerasName, long[] shape, Init init) {
      this.kerasName = kerasName;
      this.shape = shape;
      this.init = init;
    }
  }

  final KerasLayer layer;
  private final List<Weight> weights = new ArrayList<>();
  private final List<Buffer> buffers = new ArrayList<>();

  LayerOp(KerasLayer layer) {
    this.layer = layer;
  }

  /** The parameters of this layer, in declaration order. */
  final List<Weight> weights() {
    return weights;
  }

  /**
   * Declares the parameter for the Keras weight {@code <layer>/<suffix>}, shaped from the saved
   * model's manifest.
   */
  final Parameter declare(TfjsLayersModel model, String suffix, Parameter.Type type,
      Layout layout, Init init) {
    String keras = layer.name() + "/" + suffix;
    long[] shape = model.shape(keras);
    if (shape == null) {
      throw layer.unsupported("its weight " + keras + " is missing from the weights manifest");
    }
    Parameter p = Parameter.builder()
        .setName(layer.name() + "." + suffix)
        .setType(type)
        .optShape(new Shape(djlShape(shape, layout)))
        .build();
    weights.add(new Weight(keras, p, shape, layout, init));
    return p;
  }

  /** The state arrays of this layer. */
  final List<Buffer> buffers() {
    return buffers;
  }

  /** Declares the state array for the Keras weight {@code <layer>/<suffix>}. */
  final Buffer buffer(TfjsLayersModel model, String suffix, Init init) {
    String keras = layer.name() + "/" + suffix;
    long[] shape = model.shape(keras);
    if (shape == null) {
      throw layer.unsupported("its weight " + keras + " is missing from the weights manifest");
    }
    Buffer b = new Buffer(keras, shape, init);
    buffers.add(b);
    return b;
  }

  static long[] djlShape(long[] k, Layout layout) {
    return switch (layout) {
      case SAME -> k.clone();
      case CONV -> new long[] {k[3], k[2], k[0], k[1]};
      case DEPTHWISE -> new long[] {k[2] * k[3], 1, k[0], k[1]};
      case DENSE -> new long[] {k[1], k[0]};
    };
  }

  /** Reorders Keras values {@code v} of shape {@code k} into the DJL layout. */
  static float[] convert(float[] v, long[] k, Layout layout) {
    switch (layout) {
      case SAME:
        return v;
      case DENSE: {
        int in = (int) k[0];
        int out = (int) k[1];
        float[] r = new float[v.length];
        for (int i = 0; i < in; i++) {
          for (int o = 0; o < out; o++) {
            r[o * in + i] = v[i * out + o];
          }
        }
        return r;
      }
      case CONV:
      case DEPTHWISE: {
        // Both are [kh, kw, a, b] → [a', b', kh, kw]: CONV → [b][a][kh][kw]; DEPTHWISE →
        // [a * mult + b][kh][kw] (TF orders depthwise outputs channel-major).
        int kh = (int) k[0];
        int kw = (int) k[1];
        int a = (int) k[2];
        int b = (int) k[3];
        float[] r = new float[v.length];
        for (int y = 0; y < kh; y++) {
          for (int x = 0; x < kw; x++) {
            for (int i = 0; i < a; i++) {
              for (int j = 0; j < b; j++) {
                float value = v[((y * kw + x) * a + i) * b + j];
                int outer = layout == Layout.CONV ? j * a + i : i * b + j;
                r[(outer * kh + y) * kw + x] = value;
              }
            }
          }
        }
        return r;
      }
      default:
        throw new IllegalStateException(layout.name());
    }
  }

  /**
   * The layer's output for its inputs (NCHW for images, [batch, features] after flattening).
   *
   * @param values gives each declared parameter's current value on the inputs' device
   */
  abstract NDArray forward(List<NDArray> inputs, Values values, boolean training);

  /** Looks up parameter values during one forward pass. */
  @FunctionalInterface
  interface Values {
    NDArray get(Parameter parameter);
  }
}
