package dev.graft.plugins.trainingkit.baseline;

import dev.graft.spi.Example;
import dev.graft.spi.ModelInput;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;

/**
 * Examples as sparse vectors of their raw inputs, for a baseline that knows nothing a pretrained
 * model knows: text as TF-IDF of its words and word pairs (vocabulary from the training rows,
 * {@value #MAX_TERMS} most frequent terms at most, each row L2-normalised), images as their
 * {@value #SIDE}×{@value #SIDE} grey pixels (standardised with the training rows' mean and spread).
 * Other inputs (series, tensors) have none here. Stateless apart from what {@link #fit} learned.
 */
final class RawFeatures {
  static final int MAX_TERMS = 50_000;
  static final int SIDE = 16;
  static final int MAX_IMAGE_BYTES = 1 << 20;
  private static final Pattern WORD = Pattern.compile("[\\p{L}\\p{N}]+");

  /** One row: the indexes of its non-zero features, and their values. */
  record Row(int[] index, float[] value) {}

  private final String description;
  private final int dimension;
  private final Map<String, Integer> terms;
  private final float[] idf;
  private final float[] mean;
  private final float[] scale;

  private RawFeatures(String description, int dimension, Map<String, Integer> terms, float[] idf, float[] mean,
      float[] scale) {
    this.description = description;
    this.dimension = dimension;
    this.terms = terms;
    this.idf = idf;
    this.mean = mean;
    this.scale = scale;
  }

  /** Features fitted on {@code train}, or empty when its inputs have no raw representation here. */
  static Optional<RawFeatures> fit(List<Example> train) {
    if (train.isEmpty()) {
      return Optional.empty();
    }
    if (train.stream().allMatch(e -> e.input() instanceof ModelInput.Text)) {
      return Optional.of(text(train));
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
      out.add(terms != null ? textRow((ModelInput.Text) e.input()) : imageRow((ModelInput.Image) e.input()));
    }
    return out;
  }

  private static RawFeatures text(List<Example> train) {
    Map<String, Integer> df = new HashMap<>();
    for (Example e : train) {
      for (String t : new java.util.HashSet<>(tokens((ModelInput.Text) e.input()))) {
        df.merge(t, 1, Integer::sum);
      }
    }
    List<Map.Entry<String, Integer>> kept = new ArrayList<>(df.entrySet());
    kept.sort(Map.Entry.<String, Integer>comparingByValue(Comparator.reverseOrder()).thenComparing(Map.Entry.comparingByKey()));
    kept = kept.subList(0, Math.min(MAX_TERMS, kept.size()));
    Map<String, Integer> terms = new HashMap<>();
    float[] idf = new float[kept.size()];
    for (int i = 0; i < kept.size(); i++) {
      terms.put(kept.get(i).getKey(), i);
      idf[i] = (float) (Math.log((1.0 + train.size()) / (1.0 + kept.get(i).getValue())) + 1);
    }
    return new RawFeatures("TF-IDF of words and word pairs", idf.length, terms, idf, null, null);
  }

  private Row textRow(ModelInput.Text text) {
    Map<Integer, Float> counts = new HashMap<>();
    for (String t : tokens(text)) {
      Integer i = terms.get(t);
      if (i != null) {
        counts.merge(i, 1f, Float::sum);
      }
    }
    int[] index = new int[counts.size()];
    float[] value = new float[counts.size()];
    double norm = 0;
    int k = 0;
    for (var c : counts.entrySet()) {
      index[k] = c.getKey();
      value[k] = c.getValue() * idf[c.getKey()];
      norm += value[k] * value[k];
      k++;
    }
    for (int i = 0; i < value.length; i++) {
      value[i] /= (float) Math.sqrt(norm);
    }
    return new Row(index, value);
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
    Matcher m = WORD.matcher(text.toLowerCase(Locale.ROOT));
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
        continue;
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
      scale[i] = var > 1e-8 ? (float) (1 / Math.sqrt(var)) : 0;
    }
    return Optional.of(new RawFeatures(SIDE + "x" + SIDE + " grey pixels", d, null, null, mean, scale));
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
    return new Row(index, p);
  }

  /** The image scaled to SIDE×SIDE grey values in [0, 1]; null when it cannot be decoded. */
  static float[] pixels(byte[] encoded) {
    if (encoded.length > MAX_IMAGE_BYTES) {
      return null; // a baseline is not worth decoding large photos for
    }
    BufferedImage image;
    try {
      image = ImageIO.read(new ByteArrayInputStream(encoded));
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
