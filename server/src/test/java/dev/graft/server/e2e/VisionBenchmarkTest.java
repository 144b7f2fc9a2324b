package dev.graft.server.e2e;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import dev.graft.api.v1.Dataset;
import dev.graft.api.v1.Hyperparameters;
import dev.graft.client.GraftClient;
import dev.graft.plugins.vision.block.ConvertedBlock;
import dev.graft.plugins.vision.effnet.EfficientNetArchitecture;
import dev.graft.plugins.vision.effnet.EfficientNetBlock;
import dev.graft.plugins.vision.keras.KerasGraphBlock;
import dev.graft.plugins.vision.keras.TfjsLayersModel;
import dev.graft.plugins.vision.torch.TorchStateDict;
import dev.graft.plugins.vision.torch.TorchTensor;
import dev.graft.server.TestData;
import dev.graft.server.TestServer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fashion-MNIST through a real server with the converted MobileNetV2: feature extraction,
 * knowledge transfer, fine-tuning and the from-scratch baseline (same architecture, random init)
 * trained on k labelled images per class (fixed seed), scored on the full 10k test set through
 * Predict; plus Predict images/s against the raw DJL forward pass in the same JVM. Not part of CI:
 * run with {@code -Dgraft.bench=true}; {@code -Dgraft.bench.per_class=100,10},
 * {@code -Dgraft.bench.size=96}, {@code -Dgraft.bench.cases=fe,kt,ft,scratch},
 * {@code -Dgraft.bench.test=10000}, {@code -Dgraft.bench.base=mobilenet-v2|efficientnet-lite0}
 * (the base model, imported at {@code graft.bench.size}; the server-side name stays "mnv2").
 * Prints Markdown rows for docs/benchmarks.md.
 */
class VisionBenchmarkTest {
  @TempDir Path store;

  @Test
  void strategiesOnFashionMnist() throws Exception {
    assumeTrue(Boolean.getBoolean("graft.bench"), "benchmark: run with -Dgraft.bench=true");
    boolean effnet = System.getProperty("graft.bench.base", "mobilenet-v2")
        .equals("efficientnet-lite0");
    Path weights = effnet ? VisionRuns.efficientnet(TestData.assets())
        : VisionRuns.mobilenet(TestData.assets());
    assumeTrue(weights != null && FashionMnist.available(), "needs assets and fashion-mnist");
    int size = Integer.getInteger("graft.bench.size", 96);
    int testCount = Integer.getInteger("graft.bench.test", 10_000);
    String[] perClass = System.getProperty("graft.bench.per_class", "100,10").split(",");
    String[] cases = System.getProperty("graft.bench.cases", "fe,kt,ft,scratch").split(",");
    FashionMnist train = FashionMnist.load("train");
    FashionMnist test = FashionMnist.load("t10k");
    int[] testSet = new int[Math.min(testCount, test.labels.length)];
    for (int i = 0; i < testSet.length; i++) {
      testSet[i] = i;
    }
    List<String> rows = new ArrayList<>();
    try (TestServer server = TestServer.onPort(store, "access-log", "false")) {
      GraftClient client = server.client();
      if (effnet) {
        VisionRuns.importEfficientnet(client, "mnv2", weights, size);
      } else {
        VisionRuns.importMobilenet(client, "mnv2", weights, size);
      }
      for (String k : perClass) {
        int n = Integer.parseInt(k.trim());
        Dataset data = client.uploadExamples("fashion-" + n, "vision",
            train.examples(train.balanced(n, 1)));
        for (String c : cases) {
          String output = c + "-" + n;
          Hyperparameters h = hyperparameters(c.trim(), n);
          String strategy = switch (c.trim()) {
            case "fe" -> "feature-extraction";
            case "kt" -> "knowledge-transfer";
            default -> "fine-tuning";
          };
          VisionRuns.Timed run = VisionRuns.train(client, "mnv2", strategy, output, data, h);
          VisionRuns.Score s = VisionRuns.score(client, output, test, testSet);
          int epochs = run.job().getHistoryList().stream().mapToInt(m -> m.getEpoch()).max()
              .orElse(1);
          String row = String.format(Locale.ROOT,
              "| %d | %s%s | %s | %.4f | %.0f s | %d | %.0f | %.0f |", n * 10, strategy,
              c.equals("scratch") ? " (from scratch)" : "", describe(h), s.accuracy(),
              run.seconds(), epochs, c.equals("fe") ? Double.NaN
                  : 0.8 * n * 10 * epochs / run.seconds(), s.imagesPerSecond());
          System.out.println(row);
          rows.add(row);
        }
      }
    }
    System.out.println("| train images | strategy | settings | test accuracy (10k) | wall time"
        + " | epochs run | train images/s | Predict images/s |");
    System.out.println("|---|---|---|---|---|---|---|---|");
    rows.forEach(System.out::println);
  }

  /**
   * Predict through the server (a feature-extraction model: backbone + head) against the raw
   * DJL forward pass of the same frozen block, in the same JVM, on 2,048 test images, batches of
   * 64, one client / one thread.
   */
  @Test
  void predictVersusRawForward() throws Exception {
    assumeTrue(Boolean.getBoolean("graft.bench"), "benchmark: run with -Dgraft.bench=true");
    boolean effnet = System.getProperty("graft.bench.base", "mobilenet-v2")
        .equals("efficientnet-lite0");
    Path weights = effnet ? VisionRuns.efficientnet(TestData.assets())
        : VisionRuns.mobilenet(TestData.assets());
    assumeTrue(weights != null && FashionMnist.available(), "needs assets and fashion-mnist");
    int size = Integer.getInteger("graft.bench.size", 96);
    FashionMnist train = FashionMnist.load("train");
    FashionMnist test = FashionMnist.load("t10k");
    int[] images = new int[2048];
    for (int i = 0; i < images.length; i++) {
      images[i] = i;
    }
    Function<NDManager, ConvertedBlock> block = effnet ? efficientnetBlock(weights)
        : mobilenetBlock(weights);
    double raw = rawForward(block, size, 1);
    double predict;
    try (TestServer server = TestServer.onPort(store, "access-log", "false")) {
      GraftClient client = server.client();
      if (effnet) {
        VisionRuns.importEfficientnet(client, "net", weights, size);
      } else {
        VisionRuns.importMobilenet(client, "net", weights, size);
      }
      Dataset data = client.uploadExamples("fashion-10", "vision",
          train.examples(train.balanced(10, 1)));
      VisionRuns.train(client, "net", "feature-extraction", "fe", data,
          Hyperparameters.newBuilder().setSeed(42).build());
      VisionRuns.score(client, "fe", test, java.util.Arrays.copyOf(images, 128)); // warm-up
      predict = VisionRuns.score(client, "fe", test, images).imagesPerSecond();
    }
    double rawAgain = rawForward(block, size, 1);
    System.out.printf(Locale.ROOT, "| %s | %dx%d | %.0f | %.0f / %.0f | %.2f |%n",
        effnet ? "efficientnet-lite0" : "mobilenet-v2", size, size, predict, raw, rawAgain,
        predict / ((raw + rawAgain) / 2));
  }

  private static Function<NDManager, ConvertedBlock> mobilenetBlock(Path dir) throws Exception {
    TfjsLayersModel model = TfjsLayersModel.read(dir);
    return manager -> {
      KerasGraphBlock b = new KerasGraphBlock(model, "out_relu", false, false);
      b.initialize(manager, model, -1);
      return b;
    };
  }

  private static Function<NDManager, ConvertedBlock> efficientnetBlock(Path pth) throws Exception {
    Map<String, TorchTensor> weights = TorchStateDict.read(pth);
    return manager -> {
      EfficientNetBlock b = new EfficientNetBlock(
          EfficientNetArchitecture.named("efficientnet-lite0"), "head", false, false);
      b.initialize(manager, weights, -1);
      return b;
    };
  }

  static Hyperparameters hyperparameters(String c, int perClass) {
    Hyperparameters.Builder h = Hyperparameters.newBuilder().setSeed(42);
    int epochs = Integer.getInteger("graft.bench.epochs", perClass >= 100 ? 10 : 15);
    if (!c.equals("fe")) {
      h.setEarlyStoppingPatience(3);
    }
    switch (c) {
      case "fe" -> { }
      case "kt" -> h.setEpochs(epochs).setBatchSize(32).setLearningRate(3e-4f);
      case "ft" -> h.setEpochs(epochs).setBatchSize(32).setLearningRate(1e-3f)
          .putExtra("unfreeze", "half");
      case "scratch" -> h.setEpochs(epochs).setBatchSize(32).setLearningRate(1e-3f)
          .putExtra("init", "random").putExtra("unfreeze", "all");
      default -> throw new IllegalArgumentException(c);
    }
    String extra = System.getProperty("graft.bench.extra." + c, "");
    for (String kv : extra.split(";")) {
      if (!kv.isBlank()) {
        String[] p = kv.split("=", 2);
        h.putExtra(p[0], p[1]);
      }
    }
    return h.build();
  }

  private static String describe(Hyperparameters h) {
    if (h.getEpochs() == 0) {
      return "defaults";
    }
    return String.format(Locale.ROOT, "%d epochs, batch %d, lr %s%s", h.getEpochs(),
        h.getBatchSize(), h.getLearningRate(), h.getExtraMap().isEmpty() ? "" : ", " + h.getExtraMap());
  }

  /**
   * Images/s of a converted block alone (no decoding, no gRPC), batches of 64, from
   * {@code threads} threads at once (inference passes may share the block).
   */
  static double rawForward(Function<NDManager, ConvertedBlock> open, int size, int threads)
      throws Exception {
    try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
      Engine.getEngine("PyTorch");
      ConvertedBlock block = open.apply(manager);
      block.getParameters().values().forEach(p -> p.freeze(true)); // as the backbone serves it
      int batches = 10;
      Runnable work = () -> {
        for (int b = 0; b < batches; b++) {
          try (NDManager scope = manager.newSubManager()) {
            NDArray x = scope.randomUniform(0, 1, new Shape(64, 3, size, size));
            block.forward(new ParameterStore(scope, false), new NDList(x), false)
                .singletonOrThrow().toFloatArray();
          }
        }
      };
      work.run(); // warm-up
      long start = System.nanoTime();
      List<Thread> running = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        Thread thread = new Thread(work);
        thread.start();
        running.add(thread);
      }
      for (Thread thread : running) {
        thread.join();
      }
      return threads * batches * 64 / ((System.nanoTime() - start) / 1e9);
    }
  }
}
