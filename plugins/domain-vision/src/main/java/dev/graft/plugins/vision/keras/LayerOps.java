package dev.graft.plugins.vision.keras;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.norm.Dropout;
import ai.djl.nn.pooling.Pool;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import java.util.List;

/**
 * Turns Keras layers into {@link LayerOp}s. Supported: InputLayer, Conv2D, DepthwiseConv2D,
 * BatchNormalization, ReLU (with max_value, e.g. ReLU6), Activation, Add, Concatenate,
 * ZeroPadding2D, GlobalAveragePooling2D, GlobalMaxPooling2D, AveragePooling2D, MaxPooling2D
 * (valid padding), Flatten, Dense and Dropout; anything else is refused with the layer's name.
 * Stateless.
 */
final class LayerOps {
  static final List<String> SUPPORTED = List.of("InputLayer", "Conv2D", "DepthwiseConv2D",
      "BatchNormalization", "ReLU", "Activation", "Add", "Concatenate", "ZeroPadding2D",
      "GlobalAveragePooling2D", "GlobalMaxPooling2D", "AveragePooling2D", "MaxPooling2D",
      "Flatten", "Dense", "Dropout");

  private LayerOps() {}

  /**
   * The op for {@code layer}.
   *
   * @param trainBatchNorm whether BatchNormalization uses batch statistics (and updates its
   *     moving averages) in training passes; false keeps the stored statistics at all times
   * @throws UnsupportedModelException for a layer type or setting it cannot convert
   */
  static LayerOp create(KerasLayer layer, TfjsLayersModel model, boolean trainBatchNorm) {
    return switch (layer.className()) {
      case "InputLayer" -> lambda(layer, (in, training) -> in.get(0));
      case "Conv2D" -> ConvOps.conv2d(layer, model);
      case "DepthwiseConv2D" -> ConvOps.depthwise(layer, model);
      case "BatchNormalization" -> new BatchNormOp(layer, model, trainBatchNorm);
      case "ReLU" -> relu(layer);
      case "Activation" -> {
        String name = Activations.check(layer, layer.string("activation", "linear"));
        yield lambda(layer, (in, training) -> Activations.apply(name, in.get(0)));
      }
      case "Add" -> lambda(layer, (in, training) -> {
        NDArray sum = in.get(0);
        for (int i = 1; i < in.size(); i++) {
          sum = sum.add(in.get(i));
        }
        return sum;
      });
      case "Concatenate" -> {
        int axis = layer.intValue("axis", -1);
        if (axis != -1 && axis != 3) {
          throw layer.unsupported("only concatenation over channels (axis -1) is supported");
        }
        yield lambda(layer, (in, training) -> NDArrays.concat(new NDList(in), 1));
      }
      case "ZeroPadding2D" -> padding(layer);
      case "GlobalAveragePooling2D" -> global(layer, false);
      case "GlobalMaxPooling2D" -> global(layer, true);
      case "AveragePooling2D", "MaxPooling2D" -> pooling(layer);
      case "Flatten" -> lambda(layer, (in, training) -> {
        NDArray x = in.get(0);
        if (x.getShape().dimension() == 4) {
          x = x.transpose(0, 2, 3, 1); // Keras flattens channels-last
        }
        return x.reshape(x.getShape().get(0), -1);
      });
      case "Dense" -> new DenseOp(layer, model);
      case "Dropout" -> {
        float rate = (float) layer.number("rate", 0);
        yield lambda(layer, (in, training) ->
            Dropout.dropout(in.get(0), rate, training).singletonOrThrow());
      }
      default -> throw layer.unsupported("layer type " + layer.className()
          + " is not supported; the converter handles " + SUPPORTED);
    };
  }

  private interface Fn {
    NDArray apply(List<NDArray> in, boolean training);
  }

  private static LayerOp lambda(KerasLayer layer, Fn fn) {
    return new LayerOp(layer) {
      @Override
      NDArray forward(List<NDArray> inputs, Values values, boolean training) {
        return fn.apply(inputs, training);
      }
    };
  }

  private static LayerOp relu(KerasLayer layer) {
    if (layer.number("threshold", 0) != 0) {
      throw layer.unsupported("ReLU with a threshold is not supported");
    }
    double slope = layer.number("negative_slope", 0);
    Double max = layer.has("max_value") ? layer.number("max_value", 0) : null;
    return lambda(layer, (in, training) -> {
      NDArray x = in.get(0);
      NDArray y = slope == 0 ? Activation.relu(x) : Activation.leakyRelu(x, (float) slope);
      // An array of the batch's manager, not minimum(float) (see BertLayer: backward needs it alive).
      return max == null ? y : y.minimum(y.getManager().create(max.floatValue()));
    });
  }

  private static LayerOp padding(KerasLayer layer) {
    JsonElement p = layer.config().get("padding");
    int top;
    int bottom;
    int left;
    int right;
    if (p.isJsonArray() && p.getAsJsonArray().get(0).isJsonArray()) {
      JsonArray a = p.getAsJsonArray();
      top = a.get(0).getAsJsonArray().get(0).getAsInt();
      bottom = a.get(0).getAsJsonArray().get(1).getAsInt();
      left = a.get(1).getAsJsonArray().get(0).getAsInt();
      right = a.get(1).getAsJsonArray().get(1).getAsInt();
    } else {
      int[] hw = layer.pair("padding", 1);
      top = hw[0];
      bottom = hw[0];
      left = hw[1];
      right = hw[1];
    }
    Shape pad = new Shape(left, right, top, bottom); // last axis first
    return lambda(layer, (in, training) -> in.get(0).pad(pad, 0));
  }

  private static LayerOp global(KerasLayer layer, boolean max) {
    boolean keep = layer.flag("keepdims", false);
    return lambda(layer, (in, training) -> Spatial.pool(in.get(0), max, keep));
  }

  private static LayerOp pooling(KerasLayer layer) {
    if (!layer.string("padding", "valid").equals("valid")) {
      throw layer.unsupported("only valid padding is supported for pooling");
    }
    int[] size = layer.pair("pool_size", 2);
    int[] strides = layer.has("strides") ? layer.pair("strides", 1) : size;
    boolean max = layer.className().equals("MaxPooling2D");
    Shape k = new Shape(size[0], size[1]);
    Shape s = new Shape(strides[0], strides[1]);
    Shape zero = new Shape(0, 0);
    return lambda(layer, (in, training) -> max
        ? Pool.maxPool2d(in.get(0), k, s, zero, false)
        : Pool.avgPool2d(in.get(0), k, s, zero, false, true));
  }

  /** BatchNormalization over channels, with stored or batch statistics. */
  private static final class BatchNormOp extends LayerOp {
    private final Parameter gamma;
    private final Parameter beta;
    private final Buffer mean;
    private final Buffer variance;
    private final float epsilon;
    private final boolean trainStatistics;

    BatchNormOp(KerasLayer layer, TfjsLayersModel model, boolean trainStatistics) {
      super(layer);
      JsonElement axis = layer.config().get("axis");
      int a = axis == null || axis.isJsonNull() ? -1
          : axis.isJsonArray() ? axis.getAsJsonArray().get(0).getAsInt() : axis.getAsInt();
      if (a != -1 && a != 3) {
        throw layer.unsupported("only normalisation over channels (axis -1) is supported");
      }
      gamma = layer.flag("scale", true)
          ? declare(model, "gamma", Parameter.Type.GAMMA, Layout.SAME, Init.ONES) : null;
      beta = layer.flag("center", true)
          ? declare(model, "beta", Parameter.Type.BETA, Layout.SAME, Init.ZEROS) : null;
      mean = buffer(model, "moving_mean", Init.ZEROS);
      variance = buffer(model, "moving_variance", Init.ONES);
      epsilon = (float) layer.number("epsilon", 1e-3);
      this.trainStatistics = trainStatistics;
    }

    @Override
    NDArray forward(List<NDArray> inputs, Values values, boolean training) {
      NDArray x = inputs.get(0);
      NDArray m = mean.array;
      NDArray v = variance.array;
      NDArray g = gamma == null ? m.onesLike() : values.get(gamma);
      NDArray b = beta == null ? m.zerosLike() : values.get(beta);
      return BatchNorm.batchNorm(x, m, v, g, b, 1, 0.9f, epsilon, training && trainStatistics)
          .singletonOrThrow();
    }
  }

  /** Dense (fully connected) with its activation. */
  private static final class DenseOp extends LayerOp {
    private final Parameter kernel;
    private final Parameter bias;
    private final String activation;

    DenseOp(KerasLayer layer, TfjsLayersModel model) {
      super(layer);
      activation = Activations.check(layer, layer.string("activation", "linear"));
      kernel = declare(model, "kernel", Parameter.Type.WEIGHT, Layout.DENSE, Init.HE_NORMAL);
      bias = layer.flag("use_bias", true)
          ? declare(model, "bias", Parameter.Type.BIAS, Layout.SAME, Init.ZEROS) : null;
    }

    @Override
    NDArray forward(List<NDArray> inputs, Values values, boolean training) {
      NDArray x = inputs.get(0);
      if (x.getShape().dimension() != 2) {
        throw new IllegalStateException("Dense '" + layer.name() + "' needs [batch, features]");
      }
      NDArray y = bias == null ? Linear.linear(x, values.get(kernel)).singletonOrThrow()
          : Linear.linear(x, values.get(kernel), values.get(bias)).singletonOrThrow();
      return Activations.apply(activation, y);
    }
  }
}
