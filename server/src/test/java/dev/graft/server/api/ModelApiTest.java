package dev.graft.server.api;

import static dev.graft.server.api.Assertions2.assertGraftError;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.graft.api.v1.DataChunk;
import dev.graft.api.v1.ExportModelRequest;
import dev.graft.api.v1.ExportModelResponse;
import dev.graft.api.v1.ExtractRequest;
import dev.graft.api.v1.ImportModelRequest;
import dev.graft.api.v1.Model;
import dev.graft.api.v1.ModelKind;
import dev.graft.api.v1.ModelServiceGrpc;
import dev.graft.api.v1.ModelSpec;
import dev.graft.client.GraftClient;
import dev.graft.client.Inputs;
import dev.graft.server.TestServer;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ImportModel, ExportModel and DeleteModel over an in-process server. */
class ModelApiTest {
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

  private static Model importModel(ModelSpec spec, List<DataChunk> chunks) throws Exception {
    CompletableFuture<Model> result = new CompletableFuture<>();
    StreamObserver<ImportModelRequest> out = ModelServiceGrpc.newStub(client.channel()).importModel(
        new StreamObserver<>() {
          @Override
          public void onNext(Model m) {
            result.complete(m);
          }

          @Override
          public void onError(Throwable t) {
            result.completeExceptionally(t);
          }

          @Override
          public void onCompleted() {}
        });
    if (spec != null) {
      out.onNext(ImportModelRequest.newBuilder().setSpec(spec).build());
    }
    chunks.forEach(c -> out.onNext(ImportModelRequest.newBuilder().setChunk(c).build()));
    out.onCompleted();
    try {
      return result.get(2, TimeUnit.MINUTES);
    } catch (ExecutionException e) {
      throw (StatusRuntimeException) e.getCause();
    }
  }

  private static DataChunk chunk(String part, byte[] data) {
    return DataChunk.newBuilder().setPart(part).setData(ByteString.copyFrom(data)).build();
  }

  private static Path builtin(String file) {
    return store.resolve("models/minilm-l6/1").resolve(file);
  }

  @Test
  void importedOnnxEncoderServesExtractAtOnce() throws Exception {
    Model m = importModel(ModelSpec.newBuilder().setName("my-encoder").setDomain("nlp").setFormat("onnx").build(),
        List.of(chunk("", Files.readAllBytes(builtin("model.onnx"))),
            chunk("tokenizer.json", Files.readAllBytes(builtin("tokenizer.json")))));
    assertEquals(ModelKind.MODEL_KIND_BASE, m.getKind());
    assertEquals(1, m.getVersion());
    assertEquals(384, m.getDimension());
    ExtractRequest.Builder r = ExtractRequest.newBuilder().addInputs(Inputs.text("the same weights")).setNormalize(true);
    assertArrayEquals(client.extractVectors(r.setModel("minilm-l6").build()).get(0),
        client.extractVectors(r.setModel("my-encoder").build()).get(0), 1e-6f);

    ByteArrayOutputStream onnx = new ByteArrayOutputStream();
    Iterator<ExportModelResponse> export = ModelServiceGrpc.newBlockingStub(client.channel())
        .exportModel(ExportModelRequest.newBuilder().setName("my-encoder@1").build());
    assertEquals("my-encoder", export.next().getModel().getName());
    export.forEachRemaining(c -> {
      if (c.getChunk().getPart().equals("model.onnx")) {
        onnx.writeBytes(c.getChunk().getData().toByteArray());
      }
    });
    assertEquals(Files.size(builtin("model.onnx")), onnx.size(), "export returns the files");

    client.deleteModel("my-encoder");
    assertGraftError(Status.Code.NOT_FOUND, "MODEL_NOT_FOUND", () -> client.getModel("my-encoder"));
  }

  @Test
  void brokenImportsAreRefusedAndLeaveNothing() throws Exception {
    ModelSpec spec = ModelSpec.newBuilder().setName("broken").setDomain("nlp").setFormat("onnx").build();
    var garbage = assertThrows(StatusRuntimeException.class, () -> importModel(spec,
        List.of(chunk("", new byte[] {1, 2, 3, 4}), chunk("tokenizer.json", Files.readAllBytes(builtin("tokenizer.json"))))));
    assertEquals(Status.Code.INVALID_ARGUMENT, garbage.getStatus().getCode(), garbage.toString());
    var noSpec = assertThrows(StatusRuntimeException.class, () -> importModel(null, List.of(chunk("", new byte[] {1}))));
    assertEquals(Status.Code.INVALID_ARGUMENT, noSpec.getStatus().getCode());
    var badPart = assertThrows(StatusRuntimeException.class, () -> importModel(spec, List.of(chunk("../x", new byte[] {1}))));
    assertEquals(Status.Code.INVALID_ARGUMENT, badPart.getStatus().getCode());
    var noDomain = assertThrows(StatusRuntimeException.class, () -> importModel(
        spec.toBuilder().setDomain("audio").build(), List.of()));
    assertEquals(Status.Code.INVALID_ARGUMENT, noDomain.getStatus().getCode());
    assertGraftError(Status.Code.NOT_FOUND, "MODEL_NOT_FOUND", () -> client.getModel("broken"));
    try (var staged = Files.walk(store.resolve("staging"))) {
      assertTrue(staged.noneMatch(p -> p.getFileName().toString().startsWith("model.")), "nothing left staged");
    }
  }
}
