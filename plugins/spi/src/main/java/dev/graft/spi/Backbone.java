package dev.graft.spi;

import ai.djl.Device;
import java.util.List;
import java.util.Map;

/**
 * A pretrained network that turns a batch of inputs into feature vectors.
 *
 * <p>Thread-safety: {@link #extract} may be called from several threads at once; an
 * implementation bounds its own engine concurrency. Ownership: the server opens a backbone
 * through {@link DomainPlugin#openBackbone} and closes it when the model is unloaded; a strategy
 * or a trained model borrows it and must not close it. Arrays returned are owned by the caller.
 */
public interface Backbone extends AutoCloseable {

  /** The feature layers this backbone can extract from, the default first. */
  List<String> layers();

  /** The default feature layer. */
  default String defaultLayer() {
    return layers().get(0);
  }

  /** The length of the vectors {@link #extract} returns for the default layer. */
  int dimension();

  /** The pooling used when a request says {@link Pooling#DEFAULT}. */
  default Pooling defaultPooling() {
    return Pooling.MEAN;
  }

  /**
   * Features for each input, in order: {@code result[i]} is the vector for {@code inputs.get(i)}.
   *
   * @throws GraftException INVALID_ARGUMENT naming {@code inputs[i]} for an input it cannot read,
   *     or naming {@code layer} for a layer it does not have
   */
  float[][] extract(List<ModelInput> inputs, FeatureRequest request);

  /**
   * Opens a trainable copy of this backbone on {@code device}: a DJL block with its own
   * parameters, initialised with this backbone's pretrained weights, so that a job can change
   * them without touching this backbone or other jobs. The caller owns the result and closes it.
   *
   * <p>{@code options} come from {@code hyperparameters.extra} (a strategy passes on the keys it
   * does not own) or from a stored model's properties when it is loaded again. Keys every domain
   * reads: {@code layer} (a name of {@link #layers()}, "" = default) and {@code pooling}
   * ({@code mean}, {@code cls}, {@code max}; absent = {@link #defaultPooling()}); a domain may
   * read more (text: {@code max_tokens}, {@code truncation}) and refuses keys it does not know.
   * {@link TrainableBackbone#options()} returns the resolved options to store with a model.
   *
   * <p>Since SPI 1.1; the default refuses.
   *
   * @throws GraftException FAILED_PRECONDITION with a reason saying why this backbone cannot be
   *     trained (an inference-only engine, a graph that cannot be rebuilt); INVALID_ARGUMENT
   *     naming {@code hyperparameters.extra[KEY]} for a bad or unknown option
   */
  default TrainableBackbone openTrainable(Device device, Map<String, String> options) {
    throw GraftException.failedPrecondition(
        "TRAINABLE_BACKBONE_REQUIRED",
        "this base model's backbone (" + getClass().getSimpleName() + ") cannot be trained: it is"
            + " inference-only; use the feature-extraction strategy");
  }

  /** Releases engine resources. Called once, by the owner. */
  @Override
  void close();
}
