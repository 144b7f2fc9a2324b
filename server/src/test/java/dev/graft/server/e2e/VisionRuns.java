package dev.graft.server.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.graft.api.v1.DataSource;
import dev.graft.api.v1.Dataset;
import dev.graft.api.v1.Hyperparameters;
import dev.graft.api.v1.Input;
import dev.graft.api.v1.Job;
import dev.graft.api.v1.JobState;
import dev.graft.api.v1.Model;
import dev.graft.api.v1.ModelSpec;
import dev.graft.api.v1.PredictResponse;
import dev.graft.api.v1.TrainRequest;
import dev.graft.client.GraftClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** What the vision end-to-end test and benchmark share: import, train, score on Fashion-MNIST. */
final class VisionRuns {
  private VisionRuns() {}

  /** The fetched nsfwjs MobileNetV2 (scripts/fetch-assets), or null when absent. */
  static Path mobilenet(Path assets) {
    Path dir = assets.resolve("nsfwjs/mobilenet_v2");
    return Files.isRegularFile(dir.resolve("model.json")) ? dir : null;
  }

  /** ImportModel of the converted MobileNetV2 as {@code name}, with {@code size}×{@code size} inputs. */
  static Model importMobilenet(GraftClient client, String name, Path dir, int size) {
    return client.importModel(ModelSpec.newBuilder().setName(name).setDomain("vision")
        .setFormat("tfjs-layers").putAllProperties(Map.of("input_size", Integer.toString(size),
            "feature_layer", "out_relu", "hidden_size", "1280")).build(),
        List.of(new GraftClient.Part("", dir.resolve("model.json")),
            new GraftClient.Part("group1-shard1of1.min.js",
                dir.resolve("group1-shard1of1.min.js"))));
  }

  /** The fetched EfficientNet-Lite0 state dict (scripts/fetch-assets), or null when absent. */
  static Path efficientnet(Path assets) {
    Path f = assets.resolve("efficientnet-lite0/efficientnet-lite0-57934424.pth");
    return Files.isRegularFile(f) ? f : null;
  }

  /**
   * ImportModel of the EfficientNet-Lite0 state dict as {@code name} (format torch-state-dict),
   * with {@code size}×{@code size} inputs.
   */
  static Model importEfficientnet(GraftClient client, String name, Path pth, int size) {
    return client.importModel(ModelSpec.newBuilder().setName(name).setDomain("vision")
        .setFormat("torch-state-dict").putAllProperties(Map.of("architecture",
            "efficientnet-lite0", "input_size", Integer.toString(size), "hidden_size", "1280"))
        .build(), List.of(new GraftClient.Part("", pth)));
  }

  /** A training job to SUCCEEDED; returns it with its wall time in seconds. */
  static Timed train(GraftClient client, String base, String strategy, String output,
      Dataset data, Hyperparameters h) {
    long start = System.nanoTime();
    Job job = client.train(TrainRequest.newBuilder().setBaseModel(base).setStrategy(strategy)
        .setOutputModel(output).setTrain(DataSource.newBuilder().setDataset(data.getId()))
        .setValidationSplit(0.2f).setHyperparameters(h).build());
    Job done = client.awaitJob(job.getId(), Duration.ofHours(2), e -> { });
    assertEquals(JobState.JOB_STATE_SUCCEEDED, done.getState(), done.getError().getMessage());
    return new Timed(done, (System.nanoTime() - start) / 1e9);
  }

  /** A finished job and its wall time. */
  record Timed(Job job, double seconds) {}

  /** Accuracy of {@code model} on the given test images (Predict, 64 a call) and images/s. */
  static Score score(GraftClient client, String model, FashionMnist test, int[] indices) {
    int correct = 0;
    long start = System.nanoTime();
    for (int from = 0; from < indices.length; from += 64) {
      List<Input> inputs = new ArrayList<>();
      int to = Math.min(indices.length, from + 64);
      for (int i = from; i < to; i++) {
        inputs.add(test.input(indices[i]));
      }
      PredictResponse r = client.predict(model, inputs, 1);
      for (int i = from; i < to; i++) {
        String label = r.getPredictions(i - from).getClasses(0).getLabel();
        if (label.equals(FashionMnist.LABELS[test.labels[indices[i]]])) {
          correct++;
        }
      }
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    return new Score((double) correct / indices.length, indices.length / seconds);
  }

  /** Test accuracy and Predict throughput. */
  record Score(double accuracy, double imagesPerSecond) {}
}
