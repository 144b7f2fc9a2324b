package dev.graft.plugins.timeseries;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import dev.graft.plugins.timeseries.encoder.EncoderConfig;
import dev.graft.plugins.timeseries.encoder.SeriesEncoder;
import dev.graft.spi.Backbone;
import dev.graft.spi.FeatureRequest;
import dev.graft.spi.GraftException;
import dev.graft.spi.ModelInput;
import dev.graft.spi.Pooling;
import dev.graft.spi.TrainableBackbone;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * A stored series encoder as a backbone: features are the token mean and the last token of the
 * encoder's top layer ({@link EncoderConfig#dimension()} wide), averaged over an input's channels.
 * Every channel is scaled on its own window first (see
 * {@link dev.graft.plugins.timeseries.encoder.WindowScaler}).
 *
 * <p>Trainable copies take the options {@code layer} ({@code pooled}), {@code pooling}
 * ({@code mean}) and {@code init}: {@code pretrained} (default) or {@code random}, the same
 * architecture freshly initialised — training from scratch with any trainable strategy.
 *
 * <p>Thread-safety: {@link #extract} is serialised (one engine call at a time; the engine runs
 * one thread here). Ownership: the opener closes it; trainable copies belong to their callers.
 */
final class EncoderBackbone implements Backbone {
  static final String LAYER = "pooled";

  private final SeriesEncoder encoder;
  private final byte[] weights;

  EncoderBackbone(SeriesEncoder encoder, byte[] weights) {
    this.encoder = encoder;
    this.weights = weights.clone();
  }

  @Override
  public List<String> layers() {
    return List.of(LAYER);
  }

  @Override
  public int dimension() {
    return encoder.dimension();
  }

  @Override
  public synchronized float[][] extract(List<ModelInput> inputs, FeatureRequest request) {
    if (!request.layer().isEmpty() && !request.layer().equals(LAYER)) {
      throw GraftException.invalidArgument("layer", "UNKNOWN_LAYER",
          "the series encoder has the layer '" + LAYER + "', not '" + request.layer() + "'");
    }
    if (request.pooling() != Pooling.DEFAULT && request.pooling() != Pooling.MEAN) {
      throw GraftException.invalidArgument("pooling", "UNSUPPORTED_POOLING",
          "the series encoder pools its own way (token mean and last token); ask for DEFAULT or MEAN");
    }
    float[][] out = new float[inputs.size()][];
    int batch = 256;
    for (int start = 0; start < inputs.size(); start += batch) {
      List<ModelInput> part = inputs.subList(start, Math.min(inputs.size(), start + batch));
      try (NDManager scope = encoder.manager().newSubManager()) {
        NDList x = encoder.inputs(scope, part);
        NDArray f = encoder.block().forward(new ParameterStore(scope, false), x, false).head();
        float[] flat = f.toFloatArray();
        int d = dimension();
        for (int i = 0; i < part.size(); i++) {
          float[] row = new float[d];
          System.arraycopy(flat, i * d, row, 0, d);
          out[start + i] = request.normalize() ? normalize(row) : row;
        }
      }
    }
    return out;
  }

  private static float[] normalize(float[] v) {
    double n = 0;
    for (float x : v) {
      n += x * x;
    }
    float s = (float) (n > 0 ? 1 / Math.sqrt(n) : 1);
    for (int i = 0; i < v.length; i++) {
      v[i] *= s;
    }
    return v;
  }

  @Override
  public TrainableBackbone openTrainable(Device device, Map<String, String> options) {
    for (Map.Entry<String, String> e : options.entrySet()) {
      boolean ok = switch (e.getKey()) {
        case "layer" -> e.getValue().isEmpty() || e.getValue().equals(LAYER);
        case "pooling" -> e.getValue().isEmpty() || e.getValue().equals("mean");
        case "init" -> e.getValue().equals("pretrained") || e.getValue().equals("random");
        default -> false;
      };
      if (!ok) {
        throw GraftException.invalidArgument("hyperparameters.extra[" + e.getKey() + "]",
            "UNKNOWN_OPTION", "the series encoder does not take " + e.getKey() + "=" + e.getValue()
                + " (it reads layer=" + LAYER + ", pooling=mean and init=pretrained|random)");
      }
    }
    if ("random".equals(options.get("init"))) {
      // Training from scratch: the same architecture, freshly initialised.
      return SeriesEncoder.create(encoder.config(), device).withOptions(Map.of("init", "random"));
    }
    try {
      return SeriesEncoder.open(encoder.config(), device, new ByteArrayInputStream(weights));
    } catch (IOException e) {
      throw GraftException.internal("BACKBONE_FAILED", "cannot copy the encoder weights", e);
    }
  }

  @Override
  public void close() {
    encoder.close();
  }
}
