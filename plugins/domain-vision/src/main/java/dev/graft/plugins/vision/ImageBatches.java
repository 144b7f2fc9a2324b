package dev.graft.plugins.vision;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.graft.plugins.vision.image.Augmentation;
import dev.graft.plugins.vision.image.ImageDecoder;
import dev.graft.plugins.vision.image.InputSpec;
import dev.graft.plugins.vision.image.Pixels;
import dev.graft.plugins.vision.image.Preprocessor;
import dev.graft.spi.ModelInput;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Decodes and preprocesses a list of inputs into one NCHW batch for a network. Thread-safe when
 * each caller passes its own {@link Random} (or none). Shared by the domain's backbones.
 */
public final class ImageBatches {
  private final ImageDecoder decoder = new ImageDecoder();
  private final Preprocessor preprocessor;

  /** Batches for networks that expect {@code spec}. */
  public ImageBatches(InputSpec spec) {
    this.preprocessor = new Preprocessor(spec);
  }

  /** The input spec. */
  public InputSpec spec() {
    return preprocessor.spec();
  }

  /** Decodes every input (refusing a bad one as INVALID_ARGUMENT naming {@code inputs[i]}). */
  public List<Pixels> decode(List<ModelInput> inputs, int firstIndex) {
    List<Pixels> images = new ArrayList<>(inputs.size());
    for (int i = 0; i < inputs.size(); i++) {
      images.add(decoder.decode(inputs.get(i), "inputs[" + (firstIndex + i) + "]"));
    }
    return images;
  }

  /** The batch [n, c, s, s] in {@code manager}; augmented when {@code random} is not null. */
  public NDArray array(NDManager manager, List<Pixels> images, Random random) {
    InputSpec spec = preprocessor.spec();
    float[] data = preprocessor.batch(images, random == null ? null : Augmentation.DEFAULT,
        random);
    return manager.create(data, new Shape(images.size(), spec.channels(), spec.height(),
        spec.width()));
  }
}
