package dev.graft.plugins.vision.image;

/**
 * Training-time augmentation settings: random resized crop (area fraction in
 * [{@code minArea}, 1], aspect ratio in [3/4, 4/3]), horizontal flip with probability 1/2, and a
 * rotation of up to ±{@code maxDegrees}. Immutable.
 */
public record Augmentation(double minArea, double maxDegrees, boolean flip) {
  /** The defaults: crops keeping ≥ 60% of the area, flips, ±10°. */
  public static final Augmentation DEFAULT = new Augmentation(0.6, 10, true);
}
