package dev.graft.plugins.vision.keras;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import java.util.List;

/**
 * Conv2D and DepthwiseConv2D (NCHW), with Keras's {@code valid} and TensorFlow's {@code same}
 * padding (asymmetric when the total is odd: the extra row/column goes bottom/right).
 * Stateless after construction.
 */
final class ConvOps extends LayerOp {
  private final Parameter kernel;
  private final Parameter bias;
  private final int[] kernelSize;
  private final int[] strides;
  private final int[] dilation;
  private final boolean same;
  private final int groups;
  private final String activation;

  private ConvOps(KerasLayer layer, TfjsLayersModel model, boolean depthwise) {
    super(layer);
    if (!layer.string("data_format", "channels_last").equals("channels_last")) {
      throw layer.unsupported("data_format must be channels_last");
    }
    String padding = layer.string("padding", "valid");
    if (!padding.equals("valid") && !padding.equals("same")) {
      throw layer.unsupported("padding '" + padding + "' is not supported (valid, same)");
    }
    if (!depthwise && layer.intValue("groups", 1) != 1) {
      throw layer.unsupported("grouped Conv2D (groups > 1) is not supported");
    }
    same = padding.equals("same");
    kernelSize = layer.pair("kernel_size", 1);
    strides = layer.pair("strides", 1);
    dilation = layer.pair("dilation_rate", 1);
    activation = Activations.check(layer, layer.string("activation", "linear"));
    kernel = declare(model, depthwise ? "depthwise_kernel" : "kernel", Parameter.Type.WEIGHT,
        depthwise ? Layout.DEPTHWISE : Layout.CONV, Init.HE_NORMAL);
    bias = layer.flag("use_bias", true)
        ? declare(model, "bias", Parameter.Type.BIAS, Layout.SAME, Init.ZEROS) : null;
    groups = depthwise ? (int) model.shape(layer.name() + "/depthwise_kernel")[2] : 1;
  }

  static ConvOps conv2d(KerasLayer layer, TfjsLayersModel model) {
    return new ConvOps(layer, model, false);
  }

  static ConvOps depthwise(KerasLayer layer, TfjsLayersModel model) {
    return new ConvOps(layer, model, true);
  }

  @Override
  NDArray forward(List<NDArray> inputs, Values values, boolean training) {
    NDArray x = inputs.get(0);
    int padH = 0;
    int padW = 0;
    if (same) {
      int[] h = samePadding(x.getShape().get(2), 0);
      int[] w = samePadding(x.getShape().get(3), 1);
      if (h[0] == h[1] && w[0] == w[1]) {
        padH = h[0];
        padW = w[0];
      } else {
        x = x.pad(new Shape(w[0], w[1], h[0], h[1]), 0);
      }
    }
    NDArray y = Conv2d.conv2d(x, values.get(kernel), bias == null ? null : values.get(bias),
        new Shape(strides[0], strides[1]), new Shape(padH, padW),
        new Shape(dilation[0], dilation[1]), groups).singletonOrThrow();
    return Activations.apply(activation, y);
  }

  /** TensorFlow's SAME padding for one spatial axis: {before, after}. */
  private int[] samePadding(long size, int axis) {
    int effective = (kernelSize[axis] - 1) * dilation[axis] + 1;
    long out = (size + strides[axis] - 1) / strides[axis];
    int total = (int) Math.max((out - 1) * strides[axis] + effective - size, 0);
    return new int[] {total / 2, total - total / 2};
  }
}
