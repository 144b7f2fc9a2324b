package dev.graft.plugins.vision.image;

import java.util.Arrays;

/**
 * What a vision backbone expects: a square {@code size × size} image with {@code channels}
 * (1 or 3), cut as the centre {@code crop} fraction of the shorter side, each value mapped to
 * {@code (pixel * scale - mean[c]) / std[c]} (pixel in [0, 255]). Immutable.
 */
public record InputSpec(int size, int channels, double crop, float scale, float[] mean,
    float[] std) {
  public InputSpec {
    if (size < 1 || size > 1024) {
      throw new IllegalArgumentException("size must be 1..1024, got " + size);
    }
    if (channels != 1 && channels != 3) {
      throw new IllegalArgumentException("channels must be 1 or 3");
    }
    if (!(crop > 0 && crop <= 1)) {
      throw new IllegalArgumentException("crop must be in (0, 1]");
    }
    if (mean.length != channels || std.length != channels) {
      throw new IllegalArgumentException("mean and std need one value per channel");
    }
    mean = mean.clone();
    std = std.clone();
  }

  /** The same spec at another size. */
  public InputSpec withSize(int newSize) {
    return new InputSpec(newSize, channels, crop, scale, mean, std);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof InputSpec s && s.size == size && s.channels == channels && s.crop == crop
        && s.scale == scale && Arrays.equals(s.mean, mean) && Arrays.equals(s.std, std);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(new double[] {size, channels, crop, scale})
        + 31 * Arrays.hashCode(mean) + 961 * Arrays.hashCode(std);
  }

  @Override
  public String toString() {
    return "InputSpec[" + size + "x" + size + "x" + channels + ", crop " + crop + ", scale "
        + scale + ", mean " + Arrays.toString(mean) + ", std " + Arrays.toString(std) + "]";
  }
}
