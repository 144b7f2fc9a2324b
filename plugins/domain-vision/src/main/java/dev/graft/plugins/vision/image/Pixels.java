package dev.graft.plugins.vision.image;

/**
 * A decoded image: {@code height × width × channels} values in [0, 255], row-major, channels
 * last (1 = grey, 3 = RGB). Immutable by convention: nobody writes to {@code data} after
 * decoding.
 */
public record Pixels(int height, int width, int channels, float[] data) {
  public Pixels {
    if (channels != 1 && channels != 3) {
      throw new IllegalArgumentException("channels must be 1 or 3, got " + channels);
    }
    if ((long) height * width * channels != data.length) {
      throw new IllegalArgumentException("data length does not fit the shape");
    }
  }

  /** The value at row {@code y}, column {@code x}, channel {@code c}. */
  float at(int y, int x, int c) {
    return data[(y * width + x) * channels + c];
  }
}
