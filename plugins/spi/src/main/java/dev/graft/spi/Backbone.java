package dev.graft.spi;

import java.util.List;

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

  /** Releases engine resources. Called once, by the owner. */
  @Override
  void close();
}
