package dev.graft.spi;

import java.util.List;

/**
 * A trained model loaded for serving.
 *
 * <p>Thread-safety: {@link #predict} may be called from several threads at once. Ownership:
 * the server closes it when the model is unloaded; it must not close the backbone it borrowed.
 */
public interface TrainedModel extends AutoCloseable {

  /**
   * Outputs for each input: for classification, probabilities in the order of the model's labels;
   * for regression and forecasting, the predicted values.
   */
  float[][] predict(List<ModelInput> inputs);

  @Override
  void close();
}
