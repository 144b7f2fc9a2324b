package dev.graft.server.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.graft.api.v1.Dataset;
import dev.graft.api.v1.Hyperparameters;
import dev.graft.api.v1.Model;
import dev.graft.client.GraftClient;
import dev.graft.server.TestData;
import dev.graft.server.TestServer;
import java.nio.file.Path;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * On a real port, on Fashion-MNIST (Debian dataset-fashion-mnist): the converted MobileNetV2
 * (imported as tfjs-layers at 64×64 to stay quick) transfers better than the same architecture
 * trained from scratch on the same 200 images (20 per class) with the same seed, scored on 500
 * test images through Predict.
 */
class VisionTransferTest {
  static final int SIZE = 64;
  @TempDir Path store;

  @Test
  void transferBeatsFromScratchOnTheSameData() throws Exception {
    Path mobilenet = VisionRuns.mobilenet(TestData.assets());
    assumeTrue(mobilenet != null && FashionMnist.available(),
        "needs scripts/fetch-assets and apt-get install dataset-fashion-mnist");
    FashionMnist train = FashionMnist.load("train");
    FashionMnist test = FashionMnist.load("t10k");
    int[] heldOut = test.balanced(50, 3);
    try (TestServer server = TestServer.onPort(store, "access-log", "false")) {
      GraftClient client = server.client();
      Model base = VisionRuns.importMobilenet(client, "mnv2", mobilenet, SIZE);
      assertEquals(1280, base.getDimension());
      Dataset data = client.uploadExamples("fashion-200", "vision",
          train.examples(train.balanced(20, 1)));
      assertEquals(200, data.getExamples());

      VisionRuns.Timed fe = VisionRuns.train(client, "mnv2", "feature-extraction", "fe", data,
          Hyperparameters.newBuilder().setSeed(5).build());
      VisionRuns.Timed scratch = VisionRuns.train(client, "mnv2", "fine-tuning", "scratch", data,
          Hyperparameters.newBuilder().setSeed(5).setEpochs(3).setBatchSize(16)
              .setLearningRate(1e-3f).putExtra("init", "random").putExtra("unfreeze", "all")
              .build());
      VisionRuns.Score feScore = VisionRuns.score(client, "fe", test, heldOut);
      VisionRuns.Score scratchScore = VisionRuns.score(client, "scratch", test, heldOut);
      System.out.printf(Locale.ROOT, "fashion-mnist 20/class @%d: feature extraction %.3f (%.0f s),"
              + " from scratch %.3f (%.0f s)%n", SIZE, feScore.accuracy(), fe.seconds(),
          scratchScore.accuracy(), scratch.seconds());
      assertTrue(feScore.accuracy() > scratchScore.accuracy() + 0.05,
          "transfer " + feScore + " should beat from-scratch " + scratchScore);
      assertEquals("random", client.getModel("scratch").getPropertiesMap().get("backbone.init"));

      // A truncated PNG among good inputs is refused naming its index, never a crash.
      byte[] png = java.util.Base64.getDecoder().decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAf"
          + "FcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==");
      var bad = dev.graft.client.Inputs.image(java.util.Arrays.copyOf(png, png.length - 20));
      var e = org.junit.jupiter.api.Assertions.assertThrows(dev.graft.client.GraftException.class,
          () -> client.predict("fe", java.util.List.of(test.input(0), bad), 1));
      assertEquals(io.grpc.Status.Code.INVALID_ARGUMENT, e.code());
      assertEquals("CORRUPT_IMAGE", e.reason());
      assertEquals(java.util.List.of("inputs[1]"), e.fields());
      assertEquals(1, client.predict("fe", java.util.List.of(dev.graft.client.Inputs.image(png)), 1)
          .getPredictionsCount());
    }
  }
}
