package dev.graft.server.api;

import static dev.graft.server.api.Assertions2.assertGraftError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.api.v1.ExtractRequest;
import dev.graft.api.v1.Input;
import dev.graft.api.v1.Model;
import dev.graft.api.v1.ModelKind;
import dev.graft.api.v1.Pooling;
import dev.graft.client.GraftClient;
import dev.graft.client.Inputs;
import dev.graft.server.TestServer;
import io.grpc.Status;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Extract, models and server info over an in-process server with the real built-in MiniLM. */
class InferenceApiTest {
  @TempDir static Path store;
  static TestServer server;
  static GraftClient client;

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.inProcess(store);
    client = server.client();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  void builtinModelIsRegisteredAtFirstStart() {
    Model m = client.getModel("minilm-l6");
    assertEquals(ModelKind.MODEL_KIND_BASE, m.getKind());
    assertEquals("nlp", m.getDomain());
    assertEquals("OnnxRuntime", m.getEngine());
    assertEquals(1, m.getVersion());
    assertEquals(384, m.getDimension());
    assertTrue(m.getSizeBytes() > 80_000_000, "the ONNX file is in the store: " + m.getSizeBytes());
    assertEquals(m, client.getModel("minilm-l6@1"));
    assertTrue(client.listModels().stream().anyMatch(x -> x.getName().equals("minilm-l6")));
  }

  @Test
  void extractReturnsNormalisedEmbeddings() {
    List<float[]> v = client.extractVectors(ExtractRequest.newBuilder().setModel("minilm-l6")
        .addAllInputs(Inputs.texts(List.of("A cat sits on the mat.", "A kitten rests on a rug.", "Stock prices fell.")))
        .setNormalize(true).build());
    assertEquals(3, v.size());
    for (float[] x : v) {
      assertEquals(384, x.length);
      assertEquals(1.0, norm(x), 1e-4);
    }
    assertTrue(dot(v.get(0), v.get(1)) > dot(v.get(0), v.get(2)) + 0.2,
        "similar sentences are closer than unrelated ones");
  }

  @Test
  void extractPoolingsDiffer() {
    ExtractRequest.Builder r = ExtractRequest.newBuilder().setModel("minilm-l6").addInputs(Inputs.text("hello world"));
    float[] mean = client.extractVectors(r.setPooling(Pooling.POOLING_MEAN).build()).get(0);
    float[] cls = client.extractVectors(r.setPooling(Pooling.POOLING_CLS).build()).get(0);
    float[] dflt = client.extractVectors(r.setPooling(Pooling.POOLING_DEFAULT).build()).get(0);
    assertEquals(mean[0], dflt[0], 1e-6, "default pooling of minilm-l6 is mean");
    assertTrue(Math.abs(mean[0] - cls[0]) > 1e-6);
    assertEquals("encoder.5", client.extract(r.build()).getLayer());
  }

  @Test
  void extractErrorsCarryCodeReasonAndField() {
    assertGraftError(Status.Code.NOT_FOUND, "MODEL_NOT_FOUND",
        () -> client.extract(ExtractRequest.newBuilder().setModel("no-such-model").addInputs(Inputs.text("x")).build()));
    assertGraftError(Status.Code.INVALID_ARGUMENT, "EMPTY_INPUTS", "inputs",
        () -> client.extract(ExtractRequest.newBuilder().setModel("minilm-l6").build()));
    assertGraftError(Status.Code.INVALID_ARGUMENT, "MISSING_FIELD", "model",
        () -> client.extract(ExtractRequest.newBuilder().addInputs(Inputs.text("x")).build()));
    assertGraftError(Status.Code.INVALID_ARGUMENT, "EMPTY_INPUT", "inputs[1]",
        () -> client.extract(ExtractRequest.newBuilder().setModel("minilm-l6").addInputs(Inputs.text("x"))
            .addInputs(Input.getDefaultInstance()).build()));
    assertGraftError(Status.Code.INVALID_ARGUMENT, "UNSUPPORTED_INPUT_KIND", "inputs[0]",
        () -> client.extract(ExtractRequest.newBuilder().setModel("minilm-l6")
            .addInputs(Inputs.image(new byte[] {(byte) 0x89, 'P', 'N', 'G'})).build()));
    assertGraftError(Status.Code.INVALID_ARGUMENT, "UNKNOWN_LAYER", "layer",
        () -> client.extract(ExtractRequest.newBuilder().setModel("minilm-l6").setLayer("decoder.9")
            .addInputs(Inputs.text("x")).build()));
    assertGraftError(Status.Code.INVALID_ARGUMENT, "INVALID_MODEL_NAME", "name",
        () -> client.getModel("Bad Name@x"));
    assertGraftError(Status.Code.NOT_FOUND, "MODEL_NOT_FOUND", () -> client.getModel("minilm-l6@7"));
  }

  @Test
  void tooManyInputsIsRefused() throws Exception {
    try (TestServer small = TestServer.inProcess(store.resolve("small"), "max-inputs-per-request", "2")) {
      assertGraftError(Status.Code.INVALID_ARGUMENT, "TOO_MANY_INPUTS", "inputs",
          () -> small.client().extract(ExtractRequest.newBuilder().setModel("minilm-l6")
              .addAllInputs(Inputs.texts(List.of("a", "b", "c"))).build()));
    }
  }

  @Test
  void serverInfoListsPluginsAndPools() {
    var info = client.serverInfo();
    assertEquals("test", info.getReplica());
    for (String id : List.of("nlp", "vision", "timeseries", "feature-extraction", "knowledge-transfer", "fine-tuning")) {
      assertTrue(info.getPluginsList().stream().anyMatch(p -> p.getId().equals(id) && p.getState().equals("ACTIVE")),
          id + " is active: " + info.getPluginsList());
    }
    assertEquals("default", info.getPools(0).getName());
    assertEquals("cpu", info.getPools(0).getDevices(0).getId());
    assertTrue(info.getPools(0).getDevices(0).getInferenceSlots() >= 1);
  }

  private static double norm(float[] x) {
    return Math.sqrt(dot(x, x));
  }

  private static double dot(float[] a, float[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += a[i] * b[i];
    }
    return s;
  }
}
