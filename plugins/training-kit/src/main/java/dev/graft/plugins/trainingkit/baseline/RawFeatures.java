package dev.graft.plugins.trainingkit.baseline;

import dev.graft.spi.Example;
import dev.graft.spi.ModelInput;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Examples as sparse vectors of their raw inputs, for a baseline that knows nothing a pretrained
 * model knows: text as TF-IDF of its words and word pairs, hashed into a fixed number of buckets
 * (so memory is bounded whatever the vocabulary), images of at most {@value #MAX_IMAGE_SIDE} px a
 * side as their {@value #SIDE}×{@value #SIDE} grey pixels standardised with the training rows'
 * mean and spread (larger images, or ones that cannot be read, get no pixel baseline). Every row
 * is L2-normalised, which keeps plain SGD stable. Other inputs (series, tensors) have none here.
 * Stateless apart from what {@link #fit} learned.
 */
final class RawFeatures {
  /** The most hash buckets for text, and the most weights (buckets × classes) a model may have. */
  static final int MAX_BUCKETS = 1 << 18;
  static final long MAX_WEIGHTS = 4L << 20;
  static final int MAX_TEXT_CHARS = 4096;
  static final int SIDE = 16;
  static final int MAX_IMAGE_SIDE = 256;
  static final int MAX_IMAGE_BYTES = 1 << 20;
  /** A floor on a pixel's spread, so that a pixel almost always blank does not dominate its rows. */
  static final double MIN_SPREAD = 0.1;
  private static final Pattern WORD = Pattern.compile("[\\p{L}\\p{N}]+");

  /** One row: the indexes of its non-zero features, and their values. */
  record Row(int[] index, float[] value) {}

  private final String description;
  private final int dimension;
  private final int buckets;
  private final float[] idf;
  private final float[] mean;
  private final float[] scale;

  private RawFeatures(String description, int dimension, int buckets, float[] idf, float[] mean, float[] scale) {
    this.description = description;
    this.dimension = dimension;
    this.buckets = buckets;
    this.idf = idf;
    this.mean = mean;
    this.scale = scale;
  }

  /**
   * Features fitted on {@code train} for a model of {@code outputs} outputs, or empty when its
   * inputs have no raw representation here.
   */
  static Optional<RawFeatures> fit(List<Example> train, int outputs) {
    if (train.isEmpty()) {
      return Optional.empty();
    }
    if (train.stream().allMatch(e -> e.input() instanceof ModelInput.Text)) {
      int buckets = Integer.highestOneBit((int) Math.min(MAX_BUCKETS, MAX_WEIGHTS / Math.max(1, outputs)));
      return Optional.of(text(train, Math.max(1 << 10, buckets)));
    }
    if (train.stream().allMatch(e -> e.input() instanceof ModelInput.Image)) {
      return images(train);
    }
    return Optional.empty();
  }

  String description() {
    return description;
  }

  int dimension() {
    return dimension;
  }

  /** The rows of {@code examples}; null for a row that cannot be read (an undecodable image). */
  List<Row> rows(List<Example> examples) {
    List<Row> out = new ArrayList<>(examples.size());
    for (Example e : examples) {
      out.add(idf != null ? textRow((ModelInput.Text) e.input()) : imageRow((ModelInput.Image) e.input()));
    }
    return out;
  }

  private static RawFeatures text(List<Example> train, int buckets) {
    int[] df = new int[buckets];
    for (Example e : train) {
      java.util.BitSet seen = new java.util.BitSet(buckets);
      for (String t : tokens((ModelInput.Text) e.input())) {
        seen.set(bucket(t, buckets));
      }
      seen.stream().forEach(i -> df[i]++);
    }
    float[] idf = new float[buckets];
    for (int i = 0; i < buckets; i++) {
      idf[i] = (float) (Math.log((1.0 + train.size()) / (1.0 + df[i])) + 1);
    }
    return new RawFeatures("TF-IDF of words and word pairs", buckets, buckets, idf, null, null);
  }

  private static int bucket(String term, int buckets) {
    return (term.hashCode() * 0x9E3779B9 >>> 1) & (buckets - 1);
  }

  private Row textRow(ModelInput.Text text) {
    Map<Integer, Float> counts = new HashMap<>();
    for (String t : tokens(text)) {
      counts.merge(bucket(t, buckets), 1f, Float::sum);
    }
    int[] index = new int[counts.size()];
    float[] value = new float[counts.size()];
    int k = 0;
    for (var c : counts.entrySet()) {
      index[k] = c.getKey();
      value[k] = c.getValue() * idf[c.getKey()];
      k++;
    }
    return new Row(index, normalised(value));
  }

  static float[] normalised(float[] value) {
    double norm = 0;
    for (float v : value) {
      norm += v * v;
    }
    if (norm > 0) {
      for (int i = 0; i < value.length; i++) {
        value[i] /= (float) Math.sqrt(norm);
      }
    }
    return value;
  }

  /** Lower-case words and adjacent word pairs; a sentence pair's second text is marked apart. */
  static List<String> tokens(ModelInput.Text text) {
    List<String> out = new ArrayList<>();
    addTokens(text.text(), "", out);
    if (text.pair() != null && !text.pair().isEmpty()) {
      addTokens(text.pair(), "2:", out);
    }
    return out;
  }

  private static void addTokens(String text, String prefix, List<String> out) {
    String head = text.length() > MAX_TEXT_CHARS ? text.substring(0, MAX_TEXT_CHARS) : text;
    Matcher m = WORD.matcher(head.toLowerCase(Locale.ROOT));
    String previous = null;
    while (m.find()) {
      String w = prefix + m.group();
      out.add(w);
      if (previous != null) {
        out.add(previous + " " + w);
      }
      previous = w;
    }
  }

  private static Optional<RawFeatures> images(List<Example> train) {
    int d = SIDE * SIDE;
    double[] sum = new double[d];
    double[] squares = new double[d];
    int n = 0;
    for (Example e : train) {
      float[] p = pixels(((ModelInput.Image) e.input()).encoded());
      if (p == null) {
        return Optional.empty(); // large or unreadable images: a pixel baseline would not mean much
      }
      for (int i = 0; i < d; i++) {
        sum[i] += p[i];
        squares[i] += p[i] * p[i];
      }
      n++;
    }
    if (n < 2) {
      return Optional.empty();
    }
    float[] mean = new float[d];
    float[] scale = new float[d];
    for (int i = 0; i < d; i++) {
      mean[i] = (float) (sum[i] / n);
      double var = squares[i] / n - mean[i] * (double) mean[i];
      scale[i] = (float) (1 / Math.max(Math.sqrt(Math.max(var, 0)), MIN_SPREAD));
    }
    return Optional.of(new RawFeatures(SIDE + "x" + SIDE + " grey pixels", d, 0, null, mean, scale));
  }

  private Row imageRow(ModelInput.Image image) {
    float[] p = pixels(image.encoded());
    if (p == null) {
      return null;
    }
    int[] index = new int[p.length];
    for (int i = 0; i < p.length; i++) {
      index[i] = i;
      p[i] = (p[i] - mean[i]) * scale[i];
    }
    return new Row(index, normalised(p));
  }

  /** The image scaled to SIDE×SIDE grey values in [0, 1]; null when it cannot be decoded. */
  static float[] pixels(byte[] encoded) {
    if (encoded.length > MAX_IMAGE_BYTES) {
      return null; // a baseline is not worth decoding large photos for
    }
    BufferedImage image;
    try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(encoded))) {
      var readers = in == null ? null : ImageIO.getImageReaders(in);
      if (readers == null || !readers.hasNext()) {
        return null;
      }
      ImageReader reader = readers.next();
      try {
        reader.setInput(in, true, true);
        if (reader.getWidth(0) > MAX_IMAGE_SIDE || reader.getHeight(0) > MAX_IMAGE_SIDE) {
          return null; // read the size first: never decode a large image for a baseline
        }
        image = reader.read(0);
      } finally {
        reader.dispose();
      }
    } catch (IOException | RuntimeException e) {
      return null;
    }
    if (image == null) {
      return null;
    }
    BufferedImage small = new BufferedImage(SIDE, SIDE, BufferedImage.TYPE_BYTE_GRAY);
    Graphics2D g = small.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
    g.drawImage(image, 0, 0, SIDE, SIDE, null);
    g.dispose();
    float[] out = new float[SIDE * SIDE];
    for (int y = 0; y < SIDE; y++) {
      for (int x = 0; x < SIDE; x++) {
        out[y * SIDE + x] = (small.getRaster().getSample(x, y, 0)) / 255f;
      }
    }
    return out;
  }
}
