package dev.graft.plugins.featureextraction;

import dev.graft.spi.Backbone;
import dev.graft.spi.FeatureRequest;
import dev.graft.spi.GraftException;
import dev.graft.spi.ModelInput;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A fake backbone for unit tests: text {@code "c<k> <id>"} maps to a Gaussian around class k's
 * centre, text {@code "v<x> <id>"} to {@code x} along a fixed direction plus noise. The noise of
 * an input is seeded by its text, so the same input always gives the same vector. Thread-safe.
 */
final class ClusterBackbone implements Backbone {
  private final int dimension;
  private final double separation;
  private final double noise;
  private final long seed;
  final AtomicInteger extractCalls = new AtomicInteger();
  final AtomicBoolean closed = new AtomicBoolean();

  ClusterBackbone(int dimension, double separation, double noise, long seed) {
    this.dimension = dimension;
    this.separation = separation;
    this.noise = noise;
    this.seed = seed;
  }

  @Override
  public List<String> layers() {
    return List.of("last", "middle");
  }

  @Override
  public int dimension() {
    return dimension;
  }

  @Override
  public float[][] extract(List<ModelInput> inputs, FeatureRequest request) {
    extractCalls.incrementAndGet();
    if (!request.layer().isEmpty() && !layers().contains(request.layer())) {
      throw GraftException.invalidArgument("layer", "UNKNOWN_LAYER", "no layer " + request.layer());
    }
    float[][] out = new float[inputs.size()][];
    for (int i = 0; i < out.length; i++) {
      if (!(inputs.get(i) instanceof ModelInput.Text text)) {
        throw GraftException.invalidArgument(
            "inputs[" + i + "]", "UNSUPPORTED_INPUT_KIND", "text only");
      }
      out[i] = vector(text.text());
      if (request.normalize()) {
        normalize(out[i]);
      }
    }
    return out;
  }

  private float[] vector(String text) {
    String head = text.split(" ")[0];
    Random r = new Random(seed * 1_000_003L + text.hashCode());
    float[] v = new float[dimension];
    if (head.startsWith("c")) {
      int k = Integer.parseInt(head.substring(1));
      Random centre = new Random(seed * 31 + k);
      for (int j = 0; j < dimension; j++) {
        v[j] = (float) (separation * centre.nextGaussian() + noise * r.nextGaussian());
      }
    } else {
      double x = Double.parseDouble(head.substring(1));
      Random direction = new Random(seed * 17);
      for (int j = 0; j < dimension; j++) {
        v[j] = (float) (x * direction.nextGaussian() + noise * r.nextGaussian());
      }
    }
    return v;
  }

  private static void normalize(float[] v) {
    double sum = 0;
    for (float x : v) {
      sum += x * x;
    }
    float norm = (float) Math.max(Math.sqrt(sum), 1e-12);
    for (int j = 0; j < v.length; j++) {
      v[j] /= norm;
    }
  }

  @Override
  public void close() {
    closed.set(true);
  }
}
