package dev.graft.plugins.vision.image;

import java.util.Arrays;

/**
 * What a vision backbone expects: a {@code height × width} image with {@code channels} (1 or 3),
 * cut as the largest centred box of that aspect ratio scaled by {@code crop}, each value mapped
 * to {@code (pixel * scale - mean[c]) / std[c]} (pixel in [0, 255]). Immutable.
 */
public record InputSpec(int height, int width, int channels, double crop, float scale,
    float[] mean, float[] std) {
  public InputSpec {
    if (height < 1 || height > 1024 || width < 1 || width > 1024) {
      throw new IllegalArgumentException("height and width must be 1..1024, got " + height + "x"
          + width);
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

  /** A square spec. */
  public InputSpec(int size, int channels, double crop, float scale, float[] mean, float[] std) {
    this(size, size, channels, crop, scale, mean, std);
  }

  /** The same spec at another (square) size. */
  public InputSpec withSize(int newSize) {
    return new InputSpec(newSize, newSize, channels, crop, scale, mean, std);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof InputSpec s && s.height == height && s.width == width && s.channels == channels && s.crop == crop
        && s.scale == scale && Arrays.equals(s.mean, mean) && Arrays.equals(s.std, std);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(new double[] {height, width, channels, crop, scale})
        + 31 * Arrays.hashCode(mean) + 961 * Arrays.hashCode(std);
  }

  @Override
  public String toString() {
    return "InputSpec[" + height + "x" + width + "x" + channels + ", crop " + crop + ", scale "
        + scale + ", mean " + Arrays.toString(mean) + ", std " + Arrays.toString(std) + "]";
  }
}
