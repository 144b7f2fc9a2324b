package dev.graft.server.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.protobuf.ByteString;
import dev.graft.api.v1.ClassScore;
import dev.graft.api.v1.DataType;
import dev.graft.api.v1.Dataset;
import dev.graft.api.v1.Example;
import dev.graft.api.v1.ExtractRequest;
import dev.graft.api.v1.ExtractResponse;
import dev.graft.api.v1.FloatVector;
import dev.graft.api.v1.Hyperparameters;
import dev.graft.api.v1.Input;
import dev.graft.api.v1.Model;
import dev.graft.api.v1.ModelSpec;
import dev.graft.api.v1.PredictResponse;
import dev.graft.api.v1.Prediction;
import dev.graft.api.v1.Target;
import dev.graft.api.v1.Tensor;
import dev.graft.client.GraftClient;
import dev.graft.client.GraftException;
import dev.graft.server.TestServer;
import io.grpc.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ImportModel of image models in the formats that are not converted: a TorchScript module (the
 * domain-vision test fixture, a tiny scripted CNN made by its make_fixture.py) is served for
 * Extract and fine-tuned and knowledge-transferred to SUCCEEDED; a real ONNX image model
 * (PaddleOCR's MobileNetV3 text-orientation classifier, unpacked by this module's pom) is served
 * for Extract and feature extraction. The dataset: 32×32 RGB tensors, reddish or bluish.
 */
class ImportedVisionModelsTest {
  private static final Path TINY_CNN =
      Path.of("../plugins/domain-vision/src/test/resources/torchscript/tiny_cnn.pt");

  @TempDir Path store;

  @Test
  void torchScriptModuleIsServedAndTrained() throws Exception {
    assertTrue(Files.isRegularFile(TINY_CNN), TINY_CNN.toAbsolutePath().toString());
    // TorchScript is code: only an operator who trusts the file's author turns this on.
    try (TestServer server = TestServer.inProcess(store, "allow-code-imports", "true")) {
      GraftClient client = server.client();
      Model base = importModel(client, "tiny-cnn", "torchscript", TINY_CNN,
          Map.of("input_size", "32", "input_mean", "0.5,0.5,0.5", "input_std", "0.25,0.25,0.25",
              // training defaults the model recommends (fine-tuning jobs below leave them unset)
              "fine-tuning.learning_rate", "0.002", "fine-tuning.epochs", "2"));
      assertEquals(16, base.getDimension());
      assertEquals("output", base.getPropertiesMap().get("layers_available"));
      ExtractResponse features = client.extract(ExtractRequest.newBuilder().setModel("tiny-cnn")
          .addInputs(colour(new Random(1), true)).addInputs(colour(new Random(2), false)).build());
      assertEquals(16, features.getDimension());
      assertEquals("output", features.getLayer());
      assertFinite(features, 2, 16);

      GraftException unknown = org.junit.jupiter.api.Assertions.assertThrows(GraftException.class,
          () -> client.extract(ExtractRequest.newBuilder().setModel("tiny-cnn")
              .setLayer("features.1").addInputs(colour(new Random(1), true)).build()));
      assertEquals(Status.Code.INVALID_ARGUMENT, unknown.code());
      assertEquals(List.of("layer"), unknown.fields());

      Dataset data = client.uploadExamples("colours", "vision", colours(24));
      for (String strategy : List.of("fine-tuning", "knowledge-transfer")) {
        long start = System.nanoTime();
        Hyperparameters.Builder h = Hyperparameters.newBuilder().setSeed(3).setBatchSize(8);
        if (strategy.equals("knowledge-transfer")) {
          h.setEpochs(3);
        }
        VisionRuns.train(client, "tiny-cnn", strategy, "tiny-" + strategy, data, h.build());
        System.out.printf("torchscript %s: %.1f s%n", strategy, (System.nanoTime() - start) / 1e9);
        PredictResponse p = client.predict("tiny-" + strategy,
            List.of(colour(new Random(99), true), colour(new Random(98), false)), 0);
        for (Prediction prediction : p.getPredictionsList()) {
          assertSorted(prediction.getClassesList());
        }
        Model trained = client.getModel("tiny-" + strategy);
        assertEquals("tiny-cnn@1", trained.getBaseModel());
        Map<String, String> props = trained.getPropertiesMap();
        assertEquals("4", props.get("backbone_groups"), props.toString());
        assertEquals(strategy.equals("fine-tuning") ? "features.2,head"
            : "features.0,features.1,features.2,head", props.get("trained_groups"));
        if (strategy.equals("fine-tuning")) {
          // the base model's recommendation, as the job set neither
          assertTrue(props.get("settings").startsWith("lr 0.00200, batch 8, 2 epochs"),
              props.get("settings"));
        } else {
          assertTrue(props.get("settings").startsWith("lr 3.00e-05, batch 8, 3 epochs"),
              props.get("settings"));
        }
      }
    }
  }

  @Test
  void onnxImageModelIsServedForExtractAndFeatureExtraction() throws Exception {
    Path onnx = Path.of("target/test-classes/onnx/models/ch_ppocr_mobile_v2.0_cls_infer.onnx");
    assumeTrue(Files.isRegularFile(onnx), "the rapidocr model is unpacked by the server's pom");
    try (TestServer server = TestServer.inProcess(store)) {
      GraftClient client = server.client();
      Model base = importModel(client, "text-orientation", "onnx", onnx, Map.of(
          "input_height", "48", "input_width", "192", "input_mean", "0.5,0.5,0.5",
          "input_std", "0.5,0.5,0.5"));
      assertEquals(2, base.getDimension());
      ExtractResponse features = client.extract(ExtractRequest.newBuilder()
          .setModel("text-orientation").addInputs(colour(new Random(1), true))
          .addInputs(colour(new Random(2), false)).addInputs(colour(new Random(3), true)).build());
      assertEquals(2, features.getDimension());
      assertFinite(features, 3, 2);

      Dataset data = client.uploadExamples("colours", "vision", colours(16));
      VisionRuns.train(client, "text-orientation", "feature-extraction", "orientation-fe", data,
          Hyperparameters.newBuilder().setSeed(3).build());
      PredictResponse p = client.predict("orientation-fe", List.of(colour(new Random(7), true)), 0);
      assertEquals(2, p.getPredictions(0).getClassesCount());
      assertSorted(p.getPredictions(0).getClassesList());
    }
  }

  private static void assertFinite(ExtractResponse features, int count, int width) {
    assertEquals(count, features.getFeaturesCount());
    for (FloatVector v : features.getFeaturesList()) {
      assertEquals(width, v.getValuesCount());
      for (float x : v.getValuesList()) {
        assertTrue(Float.isFinite(x), v.toString());
      }
    }
  }

  private static void assertSorted(List<ClassScore> classes) {
    assertEquals(2, classes.size());
    assertTrue(classes.get(0).getScore() >= classes.get(1).getScore(), classes.toString());
    assertEquals(1.0, classes.get(0).getScore() + classes.get(1).getScore(), 1e-4);
  }

  /** {@code n} examples, half "red" and half "blue". */
  private static List<Example> colours(int n) {
    Random random = new Random(42);
    List<Example> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      boolean red = i % 2 == 0;
      out.add(Example.newBuilder().setInput(colour(random, red))
          .setTarget(Target.newBuilder().setLabel(red ? "red" : "blue")).build());
    }
    return out;
  }

  /** A noisy 32×32 RGB image, mostly red or mostly blue. */
  private static Input colour(Random random, boolean red) {
    byte[] pixels = new byte[32 * 32 * 3];
    for (int p = 0; p < 32 * 32; p++) {
      int strong = 150 + random.nextInt(100);
      int weak = random.nextInt(90);
      pixels[p * 3] = (byte) (red ? strong : weak);
      pixels[p * 3 + 1] = (byte) random.nextInt(90);
      pixels[p * 3 + 2] = (byte) (red ? weak : strong);
    }
    return Input.newBuilder().setTensor(Tensor.newBuilder().setDtype(DataType.DATA_TYPE_UINT8)
        .addShape(32).addShape(32).addShape(3).setData(ByteString.copyFrom(pixels))).build();
  }

  /** ImportModel: the spec, then the model file (part ""). */
  private static Model importModel(GraftClient client, String name, String format, Path file,
      Map<String, String> properties) {
    return client.importModel(ModelSpec.newBuilder().setName(name).setDomain("vision")
        .setFormat(format).putAllProperties(properties).build(),
        List.of(new GraftClient.Part("", file)));
  }
}
