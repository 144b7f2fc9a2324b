package com.example.graft;

import dev.graft.spi.*;
import java.io.*;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;

/** Classifies by the nearest class centroid of normalised backbone features. Stateless: thread-safe. */
public final class NearestCentroidStrategy implements StrategyPlugin {
  private static final FeatureRequest FEATURES = new FeatureRequest("", Pooling.DEFAULT, true);
  private static final String FILE = "centroids.bin";

  public NearestCentroidStrategy() {} // ServiceLoader needs a public no-argument constructor

  @Override public String id() { return "nearest-centroid"; }

  @Override public void validate(Hyperparameters h, TaskSpec task) {
    if (task.task() != Task.CLASSIFICATION) {
      throw GraftException.invalidArgument("task", "CLASSIFICATION_ONLY", "nearest-centroid only classifies");
    }
    for (String key : h.extra().keySet()) { // it takes no options: name the first one given
      throw GraftException.invalidArgument("hyperparameters.extra[" + key + "]", "UNKNOWN_OPTION",
          "nearest-centroid takes no options, got '" + key + "'");
    }
  }

  @Override public TrainOutcome train(TrainContext ctx) {
    List<Example> train = ctx.trainSet();
    float[][] x = ctx.cachedFeatures("train", FEATURES,
        () -> ctx.backbone().extract(train.stream().map(Example::input).toList(), FEATURES));
    float[][] centroids = new float[ctx.task().outputs()][x[0].length];
    int[] counts = new int[centroids.length];
    for (int i = 0; i < x.length; i++) {
      ctx.cancellation().throwIfCancelled(); // at least once per step
      int k = ctx.task().indexOf(((Target.Label) train.get(i).target()).label());
      counts[k]++;
      for (int j = 0; j < x[i].length; j++) centroids[k][j] += x[i][j];
      ctx.progress().onStep(1, 1, i + 1, x.length, 0);
    }
    for (int k = 0; k < centroids.length; k++) for (int j = 0; j < centroids[k].length; j++) centroids[k][j] /= counts[k];
    try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(
        Files.newOutputStream(ctx.outputDirectory().resolve(FILE))))) {
      out.writeInt(centroids.length);
      out.writeInt(centroids[0].length);
      for (float[] c : centroids) for (float v : c) out.writeFloat(v);
    } catch (IOException e) {
      throw GraftException.internal("WRITE_FAILED", "cannot write " + FILE, e);
    }
    return new TrainOutcome(List.of(), Map.of("classes", Integer.toString(centroids.length)));
  }

  @Override public TrainedModel load(LoadContext ctx) {
    float[][] centroids;
    try (DataInputStream in = new DataInputStream(new BufferedInputStream(
        Files.newInputStream(ctx.directory().resolve(FILE))))) {
      centroids = new float[in.readInt()][in.readInt()];
      for (float[] c : centroids) for (int j = 0; j < c.length; j++) c[j] = in.readFloat();
    } catch (IOException e) {
      throw GraftException.internal("READ_FAILED", "cannot read " + FILE, e);
    }
    Backbone backbone = ctx.backbone(); // borrowed: never close it
    return new TrainedModel() {
      @Override public float[][] predict(List<ModelInput> inputs) {
        float[][] x = backbone.extract(inputs, FEATURES);
        float[][] out = new float[x.length][];
        for (int i = 0; i < x.length; i++) {
          double[] d = new double[centroids.length];
          double sum = 0;
          for (int c = 0; c < d.length; c++) {
            double dist = 0;
            for (int j = 0; j < x[i].length; j++) dist += Math.pow(x[i][j] - centroids[c][j], 2);
            sum += d[c] = Math.exp(-dist);
          }
          out[i] = new float[d.length];
          for (int c = 0; c < d.length; c++) out[i][c] = (float) (d[c] / sum); // probabilities, label order
        }
        return out;
      }

      @Override public void close() {}
    };
  }
}
