package dev.graft.plugins.vision.image;

/**
 * A decoded image: {@code height × width × channels} values in [0, 255], row-major, channels
 * last (1 = grey, 3 = RGB). Held as unsigned bytes (one byte a value: what 8-bit images and
 * uint8 tensors decode to) or as floats (16-bit grey, whose levels scaled to [0, 255] are not
 * whole). Immutable by convention: nobody writes to the arrays after decoding.
 */
public final class Pixels {
  private final int height;
  private final int width;
  private final int channels;
  private final float[] floats;
  private final byte[] bytes;

  /** Pixels held as floats. */
  public Pixels(int height, int width, int channels, float[] data) {
    this(height, width, channels, data, null, data.length);
  }

  private Pixels(int height, int width, int channels, float[] floats, byte[] bytes, int length) {
    if (channels != 1 && channels != 3) {
      throw new IllegalArgumentException("channels must be 1 or 3, got " + channels);
    }
    if ((long) height * width * channels != length) {
      throw new IllegalArgumentException("data length does not fit the shape");
    }
    this.height = height;
    this.width = width;
    this.channels = channels;
    this.floats = floats;
    this.bytes = bytes;
  }

  /** Pixels held as unsigned bytes (not copied: the caller must not change them). */
  public static Pixels ofBytes(int height, int width, int channels, byte[] data) {
    return new Pixels(height, width, channels, null, data, data.length);
  }

  public int height() {
    return height;
  }

  public int width() {
    return width;
  }

  public int channels() {
    return channels;
  }

  /** All values as floats, row-major, channels last (a copy when held as bytes). */
  public float[] data() {
    if (floats != null) {
      return floats;
    }
    float[] out = new float[bytes.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = bytes[i] & 0xff;
    }
    return out;
  }

  /** The value at row {@code y}, column {@code x}, channel {@code c}. */
  float at(int y, int x, int c) {
    int i = (y * width + x) * channels + c;
    return floats != null ? floats[i] : bytes[i] & 0xff;
  }
}
