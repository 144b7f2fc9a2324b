package dev.graft.server.core.store;

import java.util.List;

/**
 * What a model expects as input; only the fields that apply are set (0 or empty otherwise).
 * Immutable.
 *
 * @param shape the input tensor shape, e.g. [3, 224, 224]
 * @param maxTokens for text models, the longest input in tokens
 * @param contextLength for series models, the window length
 * @param horizon for forecasting models, the number of steps predicted
 * @param mean per-channel normalisation mean
 * @param std per-channel normalisation standard deviation
 */
public record ModelInputSpec(
    List<Long> shape, int maxTokens, int contextLength, int horizon, List<Float> mean, List<Float> std) {

  public ModelInputSpec {
    shape = Copies.list(shape);
    mean = Copies.list(mean);
    std = Copies.list(std);
  }

  /** No input constraints. */
  public static ModelInputSpec empty() {
    return new ModelInputSpec(List.of(), 0, 0, 0, List.of(), List.of());
  }
}
