package dev.graft.plugins.vision.image;

import java.util.List;
import java.util.Random;

/**
 * Turns decoded images into a model's input batch, NCHW float32: grey promoted to RGB (or RGB
 * reduced to luminance) as the {@link InputSpec} asks, the centre crop resampled bilinearly to
 * {@code height × width} (or, when augmenting, a random resized crop, flipped and rotated), then
 * scaled and normalised. One affine resampling per image; edges are clamped.
 *
 * <p>Stateless and thread-safe; randomness comes from the caller's {@link Random}.
 */
public final class Preprocessor {
  private final InputSpec spec;

  public Preprocessor(InputSpec spec) {
    this.spec = spec;
  }

  public InputSpec spec() {
    return spec;
  }

  /**
   * The batch [n, channels, height, width] as a flat array.
   *
   * @param augmentation null for the deterministic centre crop
   * @param random the source of augmentation choices (unused without augmentation)
   */
  public float[] batch(List<Pixels> images, Augmentation augmentation, Random random) {
    int plane = spec.height() * spec.width();
    int c = spec.channels();
    float[] out = new float[images.size() * c * plane];
    for (int i = 0; i < images.size(); i++) {
      fill(images.get(i), augmentation, random, out, i);
    }
    return out;
  }

  /**
   * Writes {@code img}, preprocessed, as image {@code index} of the batch {@code out}
   * ([n, channels, height, width], flat), so that a caller can decode and drop one image at a
   * time.
   */
  public void fill(Pixels img, Augmentation augmentation, Random random, float[] out, int index) {
    fillAt(img, augmentation, random, out, index * spec.channels() * spec.height() * spec.width());
  }

  private void fillAt(Pixels img, Augmentation aug, Random random, float[] out, int offset) {
    int sh = spec.height();
    int sw = spec.width();
    double aspect = sw / (double) sh;
    double boxH = Math.min(img.height(), img.width() / aspect) * spec.crop();
    double boxW = boxH * aspect;
    double cx = img.width() / 2.0;
    double cy = img.height() / 2.0;
    double angle = 0;
    boolean flip = false;
    if (aug != null) {
      double area = img.width() * (double) img.height()
          * (aug.minArea() + (1 - aug.minArea()) * random.nextDouble());
      double ratio = aspect
          * Math.exp(Math.log(3.0 / 4) + random.nextDouble() * Math.log(16.0 / 9));
      boxW = Math.min(img.width(), Math.sqrt(area * ratio));
      boxH = Math.min(img.height(), Math.sqrt(area / ratio));
      cx = boxW / 2 + random.nextDouble() * (img.width() - boxW);
      cy = boxH / 2 + random.nextDouble() * (img.height() - boxH);
      angle = Math.toRadians((random.nextDouble() * 2 - 1) * aug.maxDegrees());
      flip = aug.flip() && random.nextBoolean();
    }
    double cos = Math.cos(angle);
    double sin = Math.sin(angle);
    int plane = sh * sw;
    float[] value = new float[3];
    for (int v = 0; v < sh; v++) {
      double ny = (v + 0.5) / sh - 0.5;
      for (int u = 0; u < sw; u++) {
        double nx = (u + 0.5) / sw - 0.5;
        if (flip) {
          nx = -nx;
        }
        double dx = nx * boxW;
        double dy = ny * boxH;
        double sx = cx + cos * dx - sin * dy - 0.5;
        double sy = cy + sin * dx + cos * dy - 0.5;
        sample(img, sx, sy, value);
        for (int k = 0; k < spec.channels(); k++) {
          out[offset + k * plane + v * sw + u] =
              (value[k] * spec.scale() - spec.mean()[k]) / spec.std()[k];
        }
      }
    }
  }

  /** Bilinear sample at (sx, sy) in pixel-centre coordinates, in the spec's channels. */
  private void sample(Pixels img, double sx, double sy, float[] value) {
    double x = Math.max(0, Math.min(img.width() - 1, sx));
    double y = Math.max(0, Math.min(img.height() - 1, sy));
    int x0 = (int) Math.floor(x);
    int y0 = (int) Math.floor(y);
    int x1 = Math.min(x0 + 1, img.width() - 1);
    int y1 = Math.min(y0 + 1, img.height() - 1);
    float fx = (float) (x - x0);
    float fy = (float) (y - y0);
    float[] rgb = new float[3];
    for (int k = 0; k < img.channels(); k++) {
      float top = img.at(y0, x0, k) * (1 - fx) + img.at(y0, x1, k) * fx;
      float bottom = img.at(y1, x0, k) * (1 - fx) + img.at(y1, x1, k) * fx;
      rgb[k] = top * (1 - fy) + bottom * fy;
    }
    if (img.channels() == 1) {
      rgb[1] = rgb[0];
      rgb[2] = rgb[0];
    }
    if (spec.channels() == 3) {
      System.arraycopy(rgb, 0, value, 0, 3);
    } else {
      value[0] = 0.299f * rgb[0] + 0.587f * rgb[1] + 0.114f * rgb[2];
    }
  }
}
