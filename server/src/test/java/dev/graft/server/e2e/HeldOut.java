package dev.graft.server.e2e;

import dev.graft.api.v1.Job;
import dev.graft.api.v1.Metric;
import dev.graft.api.v1.PredictResponse;
import dev.graft.client.GraftClient;
import dev.graft.client.Inputs;
import dev.graft.server.TestData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * The fixed split the sentiment end-to-end tests and benchmarks share: the 2,000 yelp + amazon
 * sentences shuffled with seed 7, the first 80% for training (uploaded; the server splits its
 * own validation set off them), the last 20% held out and scored through Predict.
 */
final class HeldOut {
  final Path trainFile;
  final List<TestData.Labelled> heldOut;
  final int trainSize;

  private HeldOut(Path trainFile, int trainSize, List<TestData.Labelled> heldOut) {
    this.trainFile = trainFile;
    this.trainSize = trainSize;
    this.heldOut = heldOut;
  }

  /**
   * The split, optionally cut down: {@code trainLimit} training lines (0 = all of the 80%) and
   * {@code heldOutLimit} held-out lines (0 = all of the 20%).
   */
  static HeldOut split(Path dir, int trainLimit, int heldOutLimit) throws IOException {
    List<String> lines = new ArrayList<>(TestData.sentimentLines());
    Collections.shuffle(lines, new Random(7));
    int cut = (int) (lines.size() * 0.8);
    List<String> train = lines.subList(0, trainLimit > 0 ? Math.min(trainLimit, cut) : cut);
    List<String> rest = lines.subList(cut, lines.size());
    if (heldOutLimit > 0) {
      rest = rest.subList(0, Math.min(heldOutLimit, rest.size()));
    }
    Path file = dir.resolve("train-" + train.size() + ".jsonl");
    Files.write(file, train);
    return new HeldOut(file, train.size(), rest.stream().map(TestData::parse).toList());
  }

  /** Accuracy and macro F1 of {@code model} on the held-out sentences. */
  Score score(GraftClient client, String model) {
    int[][] confusion = new int[2][2];
    for (int from = 0; from < heldOut.size(); from += 64) {
      List<TestData.Labelled> batch = heldOut.subList(from, Math.min(heldOut.size(), from + 64));
      PredictResponse r = client.predict(model,
          Inputs.texts(batch.stream().map(TestData.Labelled::text).toList()), 1);
      for (int i = 0; i < batch.size(); i++) {
        int truth = batch.get(i).label().equals("positive") ? 1 : 0;
        int predicted = r.getPredictions(i).getClasses(0).getLabel().equals("positive") ? 1 : 0;
        confusion[truth][predicted]++;
      }
    }
    int n = heldOut.size();
    double accuracy = (double) (confusion[0][0] + confusion[1][1]) / n;
    double f1 = 0;
    for (int c = 0; c < 2; c++) {
      int tp = confusion[c][c];
      int fp = confusion[1 - c][c];
      int fn = confusion[c][1 - c];
      f1 += 2.0 * tp / Math.max(1, 2 * tp + fp + fn);
    }
    return new Score(accuracy, f1 / 2, n);
  }

  /** A held-out score. */
  record Score(double accuracy, double macroF1, int n) {}

  /** The final (epoch 0) validation metric {@code name} of a finished job, or NaN. */
  static double finalMetric(Job job, String name) {
    return job.getMetricsList().stream()
        .filter(m -> m.getEpoch() == 0 && m.getSplit().equals("validation") && m.getName().equals(name))
        .mapToDouble(Metric::getValue).findFirst().orElse(Double.NaN);
  }
}
