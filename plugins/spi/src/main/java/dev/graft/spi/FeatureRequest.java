package dev.graft.spi;

/**
 * Which features to extract: {@code layer} ("" = the backbone's default feature layer),
 * the pooling, and whether to L2-normalise each vector.
 */
public record FeatureRequest(String layer, Pooling pooling, boolean normalize) {
  public FeatureRequest {
    layer = layer == null ? "" : layer;
    pooling = pooling == null ? Pooling.DEFAULT : pooling;
  }

  /** The backbone's default layer and pooling, not normalised. */
  public static FeatureRequest defaults() {
    return new FeatureRequest("", Pooling.DEFAULT, false);
  }
}
