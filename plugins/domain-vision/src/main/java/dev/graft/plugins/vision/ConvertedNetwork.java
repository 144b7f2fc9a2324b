package dev.graft.plugins.vision;

import dev.graft.plugins.vision.image.InputProperties;
import ai.djl.ndarray.NDManager;
import dev.graft.plugins.vision.block.ConvertedBlock;
import dev.graft.plugins.vision.image.InputSpec;
import dev.graft.plugins.vision.keras.KerasGraphBlock;
import dev.graft.plugins.vision.keras.KerasLayer;
import dev.graft.plugins.vision.keras.TfjsLayersModel;
import dev.graft.plugins.vision.keras.UnsupportedModelException;
import dev.graft.spi.BaseModel;
import dev.graft.spi.GraftException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A stored {@code tfjs-layers} base model read into memory: the Keras graph with its weights,
 * the input it expects, and the layers features can be taken from (the default first: the
 * manifest's {@code feature_layer}, or the layer feeding the model's first spatial pooling or
 * flattening). Manifest properties: {@code feature_layer}, {@code input_size},
 * {@code input_crop} (default 1), {@code input_scale} (default 1/255), {@code input_mean},
 * {@code input_std} (comma-separated, one per channel; defaults 0 and 1).
 *
 * <p>Immutable; safe to share.
 */
final class ConvertedNetwork implements ConvertedSource {
  private static final Set<String> HEAD_START =
      Set.of("GlobalAveragePooling2D", "GlobalMaxPooling2D", "AveragePooling2D", "Flatten");

  private final String name;
  private final TfjsLayersModel model;
  private final InputSpec spec;
  private final List<String> layers;
  private final int dimension;

  private ConvertedNetwork(String name, TfjsLayersModel model, InputSpec spec, List<String> layers,
      int dimension) {
    this.name = name;
    this.model = model;
    this.spec = spec;
    this.layers = List.copyOf(layers);
    this.dimension = dimension;
  }

  /**
   * Reads and checks the model (every feature layer must convert).
   *
   * @throws GraftException FAILED_PRECONDITION when the files are missing, unreadable or hold a
   *     network the converter does not support (the message names the layer)
   */
  static ConvertedNetwork open(BaseModel base) {
    try {
      TfjsLayersModel model = TfjsLayersModel.read(base.directory());
      int[] in = model.inputShape();
      int channels = in[2] > 0 ? in[2] : 3;
      InputSpec spec = InputProperties.spec(base, in[0] > 0 ? in[0] : 224, channels);
      List<String> layers = featureLayers(model, base.property("feature_layer", ""));
      KerasGraphBlock probe = new KerasGraphBlock(model, layers.get(0), false, false);
      return new ConvertedNetwork(base.name(), model, spec, layers, probe.dimension());
    } catch (IOException e) {
      throw GraftException.failedPrecondition("MODEL_FILE_MISSING",
          "cannot read the files of " + base.name() + ": " + e.getMessage());
    } catch (UnsupportedModelException e) {
      throw GraftException.failedPrecondition("UNSUPPORTED_NETWORK",
          base.name() + " cannot be converted: " + e.getMessage());
    } catch (IllegalArgumentException e) {
      throw GraftException.failedPrecondition("BAD_MODEL_PROPERTIES",
          base.name() + " has unusable input properties: " + e.getMessage());
    }
  }

  private static List<String> featureLayers(TfjsLayersModel model, String configured) {
    List<KerasLayer> all = model.layers();
    int end = all.size();
    for (int i = 0; i < all.size(); i++) {
      if (HEAD_START.contains(all.get(i).className())) {
        end = i;
        break;
      }
    }
    List<String> names = new ArrayList<>();
    for (int i = end - 1; i > 0; i--) {
      names.add(all.get(i).name());
    }
    if (names.isEmpty()) {
      throw new UnsupportedModelException("the model has no layer before its head");
    }
    if (!configured.isEmpty()) {
      if (!names.remove(configured)) {
        throw new UnsupportedModelException("feature_layer '" + configured
            + "' is not a spatial layer of the model");
      }
      names.add(0, configured);
    }
    return names;
  }

  @Override
  public String name() {
    return name;
  }

  TfjsLayersModel model() {
    return model;
  }

  @Override
  public InputSpec spec() {
    return spec;
  }

  @Override
  public List<String> layers() {
    return layers;
  }

  @Override
  public int dimension() {
    return dimension;
  }

  @Override
  public String parameterFormat() {
    return "graft-keras-params/1";
  }

  @Override
  public ConvertedBlock newBlock(NDManager manager, String layer, boolean poolMax,
      boolean trainBatchNorm, long seed) {
    KerasGraphBlock block = new KerasGraphBlock(model, layer, poolMax, trainBatchNorm);
    block.initialize(manager, model, seed);
    return block;
  }
}
