package dev.graft.plugins.vision;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.graft.plugins.vision.image.Augmentation;
import dev.graft.plugins.vision.image.ImageDecoder;
import dev.graft.plugins.vision.image.InputSpec;
import dev.graft.plugins.vision.image.PixelBudget;
import dev.graft.plugins.vision.image.Preprocessor;
import dev.graft.spi.ModelInput;
import java.util.List;
import java.util.Random;

/**
 * Decodes and preprocesses a list of inputs into one NCHW batch for a network: the pixel budget
 * of the whole list is checked from the headers first ({@link PixelBudget}), then the images are
 * decoded one at a time, each dropped once it is resampled into the batch, so at most one
 * decoded image is held per call. Thread-safe when each caller passes its own {@link Random}
 * (or none). Shared by the domain's backbones.
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

  /**
   * Checks the pixels of every input of a call before any is decoded ({@link PixelBudget}); a
   * backbone calls it on all of a call's inputs before working through them in chunks.
   */
  public void checkBudget(List<ModelInput> inputs, int firstIndex) {
    PixelBudget.check(inputs, firstIndex);
  }

  /**
   * The batch [n, c, s, s] of {@code inputs} (named {@code inputs[firstIndex]} onwards) in
   * {@code manager}; augmented when {@code random} is not null.
   *
   * @throws dev.graft.spi.GraftException INVALID_ARGUMENT or RESOURCE_EXHAUSTED naming the input
   */
  public NDArray array(NDManager manager, List<ModelInput> inputs, int firstIndex,
      Random random) {
    PixelBudget.check(inputs, firstIndex);
    InputSpec spec = preprocessor.spec();
    float[] data = new float[inputs.size() * spec.channels() * spec.height() * spec.width()];
    Augmentation augmentation = random == null ? null : Augmentation.DEFAULT;
    for (int i = 0; i < inputs.size(); i++) {
      preprocessor.fill(decoder.decode(inputs.get(i), "inputs[" + (firstIndex + i) + "]"),
          augmentation, random, data, i);
    }
    return manager.create(data, new Shape(inputs.size(), spec.channels(), spec.height(),
        spec.width()));
  }
}
