package dev.graft.spi;

import java.util.List;

/**
 * A trained model that reads nothing from its backbone but the features of one
 * {@link FeatureRequest}: a head on a frozen backbone. The server may then compute those features
 * once for the inputs of several such models over the same base model and hand each model its
 * own rows, so concurrent {@code Predict} calls on different heads cost one backbone pass.
 *
 * <p>{@link #predict} must equal {@code predictFeatures(inputs, backbone.extract(inputs,
 * featureRequest()))}. Thread-safety as {@link TrainedModel}.
 *
 * @since SPI 1.4
 */
public interface FeatureHead extends TrainedModel {

  /** The features this model reads from its (borrowed, frozen) backbone. */
  FeatureRequest featureRequest();

  /**
   * Outputs for {@code inputs} given their features, one row per input in the same order, as the
   * backbone returned them for {@link #featureRequest()}. The inputs are there for models whose
   * output also depends on them (a forecast rescaled to its input series).
   */
  float[][] predictFeatures(List<ModelInput> inputs, float[][] features);
}
