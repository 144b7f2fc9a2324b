package dev.graft.server.api.oip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.graft.api.oip.v2.GRPCInferenceServiceGrpc;
import dev.graft.api.oip.v2.InferParameter;
import dev.graft.api.oip.v2.InferTensorContents;
import dev.graft.api.oip.v2.ModelInferRequest;
import dev.graft.api.oip.v2.ModelInferRequest.InferInputTensor;
import dev.graft.api.oip.v2.ModelInferResponse;
import dev.graft.api.oip.v2.ModelMetadataRequest;
import dev.graft.api.oip.v2.ModelMetadataResponse;
import dev.graft.api.oip.v2.ModelReadyRequest;
import dev.graft.api.oip.v2.ServerLiveRequest;
import dev.graft.api.oip.v2.ServerMetadataRequest;
import dev.graft.api.oip.v2.ServerReadyRequest;
import dev.graft.api.v1.DataSource;
import dev.graft.api.v1.Dataset;
import dev.graft.api.v1.ExtractRequest;
import dev.graft.api.v1.Hyperparameters;
import dev.graft.api.v1.Job;
import dev.graft.api.v1.JobState;
import dev.graft.api.v1.Prediction;
import dev.graft.api.v1.TrainRequest;
import dev.graft.client.GraftClient;
import dev.graft.client.Inputs;
import dev.graft.server.TestData;
import dev.graft.server.TestServer;
import com.google.rpc.ErrorInfo;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import org.junit.jupiter.api.function.Executable;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Open Inference Protocol v2 over gRPC on a real server: health, metadata, and ModelInfer on a
 * base model (equal to Extract) and on a trained classifier (equal to Predict), with typed and raw
 * contents; malformed tensors get INVALID_ARGUMENT with a precise reason.
 */
class OipGrpcTest {
  private static final List<String> SENTENCES = List.of("great food and a lovely place", "rude staff, never again",
      "it was fine I guess");
  @TempDir static Path store;
  static TestServer server;
  static GraftClient client;
  static GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub oip;
  static String classifier;

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.inProcess(store);
    client = server.client();
    oip = GRPCInferenceServiceGrpc.newBlockingStub(server.channel());
    Dataset tiny = client.uploadExamples("tiny", "nlp", TestData.tinySentiment());
    Job job = client.train(TrainRequest.newBuilder().setBaseModel("minilm-l6").setStrategy("feature-extraction")
        .setOutputModel("reviews").setTrain(DataSource.newBuilder().setDataset(tiny.getId()))
        .setHyperparameters(Hyperparameters.newBuilder().setSeed(1).setEpochs(5)).build());
    Job done = client.awaitJob(job.getId(), Duration.ofMinutes(2), e -> { });
    assertEquals(JobState.JOB_STATE_SUCCEEDED, done.getState(), done.getError().getMessage());
    classifier = done.getResultModel();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  void healthAndServerMetadata() {
    assertTrue(oip.serverLive(ServerLiveRequest.getDefaultInstance()).getLive());
    assertTrue(oip.serverReady(ServerReadyRequest.getDefaultInstance()).getReady());
    assertEquals("graft", oip.serverMetadata(ServerMetadataRequest.getDefaultInstance()).getName());
    assertTrue(oip.modelReady(ModelReadyRequest.newBuilder().setName("minilm-l6").build()).getReady());
    assertFalse(oip.modelReady(ModelReadyRequest.newBuilder().setName("no-such-model").build()).getReady());
  }

  @Test
  void metadataNamesEachModelsTensors() {
    ModelMetadataResponse base = oip.modelMetadata(ModelMetadataRequest.newBuilder().setName("minilm-l6").build());
    assertEquals(List.of("1"), base.getVersionsList());
    assertEquals("onnxruntime_onnx", base.getPlatform());
    assertEquals(List.of("text", "pair"), base.getInputsList().stream().map(t -> t.getName()).toList());
    assertEquals("BYTES", base.getInputs(0).getDatatype());
    assertEquals("features", base.getOutputs(0).getName());
    assertEquals(List.of(-1L, 384L), base.getOutputs(0).getShapeList());
    ModelMetadataResponse head = oip.modelMetadata(ModelMetadataRequest.newBuilder().setName("reviews").build());
    assertEquals(List.of("labels", "scores"), head.getOutputsList().stream().map(t -> t.getName()).toList());
    assertEquals(List.of(-1L, 2L), head.getOutputs(1).getShapeList());
  }

  @Test
  void baseModelFeaturesEqualExtractTypedAndRaw() {
    List<float[]> expected = client.extractVectors(ExtractRequest.newBuilder().setModel("minilm-l6")
        .addAllInputs(Inputs.texts(SENTENCES)).setNormalize(true).build());
    ModelInferRequest.Builder request = ModelInferRequest.newBuilder().setModelName("minilm-l6").setId("call-1")
        .putParameters("normalize", InferParameter.newBuilder().setBoolParam(true).build());
    ModelInferResponse typed = oip.modelInfer(request.clone().addInputs(texts("text", SENTENCES)).build());
    assertEquals("minilm-l6", typed.getModelName());
    assertEquals("1", typed.getModelVersion());
    assertEquals("call-1", typed.getId());
    assertEquals(List.of(3L, 384L), typed.getOutputs(0).getShapeList());
    assertEquals("encoder.5", typed.getOutputs(0).getParametersOrThrow("layer").getStringParam());
    List<Float> values = typed.getOutputs(0).getContents().getFp32ContentsList();
    for (int r = 0; r < 3; r++) {
      for (int c = 0; c < 384; c++) {
        assertEquals(expected.get(r)[c], values.get(r * 384 + c), 1e-6);
      }
    }
    ModelInferResponse raw = oip.modelInfer(request.clone().addInputs(texts("text", SENTENCES).toBuilder()
        .clearContents()).addRawInputContents(rawBytes(SENTENCES)).build());
    ByteBuffer floats = raw.getRawOutputContents(0).asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    assertEquals(3 * 384 * 4, floats.remaining());
    assertFalse(raw.getOutputs(0).hasContents(), "raw in, raw out");
    for (int r = 0; r < 3; r++) {
      for (int c = 0; c < 384; c++) {
        assertEquals(expected.get(r)[c], floats.getFloat(), 1e-6);
      }
    }
  }

  @Test
  void seriesTensorsEqualExtractOfEachSeries() {
    int steps = 64;
    float[][] series = new float[2][steps];
    InferTensorContents.Builder contents = InferTensorContents.newBuilder();
    for (int r = 0; r < 2; r++) {
      for (int t = 0; t < steps; t++) {
        series[r][t] = (float) Math.sin(t / (3.0 + r)) + r;
        contents.addFp32Contents(series[r][t]);
      }
    }
    List<float[]> expected = client.extractVectors(ExtractRequest.newBuilder().setModel("ts-encoder")
        .addInputs(Inputs.series(series[0])).addInputs(Inputs.series(series[1])).build());
    ModelInferResponse out = oip.modelInfer(ModelInferRequest.newBuilder().setModelName("ts-encoder")
        .addInputs(InferInputTensor.newBuilder().setName("series").setDatatype("FP32").addShape(2).addShape(steps)
            .setContents(contents)).build());
    int d = expected.get(0).length;
    assertEquals(List.of(2L, (long) d), out.getOutputs(0).getShapeList());
    for (int i = 0; i < 2 * d; i++) {
      assertEquals(expected.get(i / d)[i % d], out.getOutputs(0).getContents().getFp32Contents(i), 1e-6);
    }
    assertGraftError(Status.Code.INVALID_ARGUMENT, "INVALID_SHAPE", () -> oip.modelInfer(ModelInferRequest
        .newBuilder().setModelName("ts-encoder").addInputs(InferInputTensor.newBuilder().setName("series")
            .setDatatype("FP32").addShape(2 * steps).setContents(contents)).build()));
  }

  @Test
  void classifierLabelsAndScoresEqualPredict() {
    List<Prediction> expected = client.predict(classifier, Inputs.texts(SENTENCES), 0).getPredictionsList();
    String[] parts = classifier.split("@");
    ModelInferResponse out = oip.modelInfer(ModelInferRequest.newBuilder().setModelName(parts[0])
        .setModelVersion(parts[1]).addInputs(texts("text", SENTENCES)).build());
    assertEquals(List.of("labels", "scores"), out.getOutputsList().stream().map(t -> t.getName()).toList());
    for (int r = 0; r < SENTENCES.size(); r++) {
      for (int c = 0; c < 2; c++) {
        assertEquals(expected.get(r).getClasses(c).getLabel(),
            out.getOutputs(0).getContents().getBytesContents(r * 2 + c).toStringUtf8());
        assertEquals(expected.get(r).getClasses(c).getScore(),
            out.getOutputs(1).getContents().getFp32Contents(r * 2 + c), 1e-6);
      }
    }
    ModelInferResponse top1 = oip.modelInfer(ModelInferRequest.newBuilder().setModelName(parts[0])
        .putParameters("top_k", InferParameter.newBuilder().setInt64Param(1).build())
        .addOutputs(ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName("labels"))
        .addInputs(texts("text", SENTENCES)).build());
    assertEquals(1, top1.getOutputsCount());
    assertEquals(List.of(3L, 1L), top1.getOutputs(0).getShapeList());
  }

  @Test
  void malformedTensorsAreInvalidArgumentWithAReason() {
    ModelInferRequest.Builder base = ModelInferRequest.newBuilder().setModelName("minilm-l6");
    assertGraftError(Status.Code.INVALID_ARGUMENT, "WRONG_DATATYPE", () -> oip.modelInfer(base.clone()
        .addInputs(InferInputTensor.newBuilder().setName("text").setDatatype("FP32").addShape(1)
            .setContents(InferTensorContents.newBuilder().addFp32Contents(1f))).build()));
    assertGraftError(Status.Code.INVALID_ARGUMENT, "SHAPE_DATA_MISMATCH", () -> oip.modelInfer(base.clone()
        .addInputs(texts("text", SENTENCES).toBuilder().clearShape().addShape(5)).build()));
    assertGraftError(Status.Code.INVALID_ARGUMENT, "MISSING_INPUT", () -> oip.modelInfer(base.clone()
        .addInputs(texts("pair", SENTENCES)).build()));
    assertGraftError(Status.Code.INVALID_ARGUMENT, "UNKNOWN_INPUT", () -> oip.modelInfer(base.clone()
        .addInputs(texts("sentence", SENTENCES)).build()));
    assertGraftError(Status.Code.INVALID_ARGUMENT, "UNKNOWN_PARAMETER", () -> oip.modelInfer(base.clone()
        .putParameters("temperature", InferParameter.newBuilder().setStringParam("hot").build())
        .addInputs(texts("text", SENTENCES)).build()));
    assertGraftError(Status.Code.INVALID_ARGUMENT, "TENSOR_TOO_LARGE", () -> oip.modelInfer(base.clone()
        .addInputs(texts("text", SENTENCES).toBuilder().clearShape().addShape(1L << 40).addShape(1L << 20)).build()));
    assertGraftError(Status.Code.INVALID_ARGUMENT, "RAW_CONTENTS_TRUNCATED", () -> oip.modelInfer(base.clone()
        .addInputs(texts("text", SENTENCES).toBuilder().clearContents())
        .addRawInputContents(rawBytes(SENTENCES).substring(0, 10)).build()));
    assertGraftError(Status.Code.INVALID_ARGUMENT, "INVALID_VERSION", () -> oip.modelInfer(base.clone()
        .setModelVersion("latest").addInputs(texts("text", SENTENCES)).build()));
    assertGraftError(Status.Code.NOT_FOUND, "MODEL_NOT_FOUND", () -> oip.modelInfer(base.clone()
        .setModelName("no-such-model").addInputs(texts("text", SENTENCES)).build()));
    assertTrue(oip.serverLive(ServerLiveRequest.getDefaultInstance()).getLive(), "still serving");
  }

  /** The call fails with {@code code} and Graft's ErrorInfo reason {@code reason}. */
  static void assertGraftError(Status.Code code, String reason, Executable call) {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call);
    assertEquals(code, e.getStatus().getCode(), e.toString());
    com.google.rpc.Status details = StatusProto.fromThrowable(e);
    String actual = details == null ? "" : details.getDetailsList().stream().filter(a -> a.is(ErrorInfo.class))
        .map(a -> {
          try {
            return a.unpack(ErrorInfo.class).getReason();
          } catch (com.google.protobuf.InvalidProtocolBufferException x) {
            throw new AssertionError(x);
          }
        }).findFirst().orElse("");
    assertEquals(reason, actual, e.toString());
  }

  private static InferInputTensor texts(String name, List<String> texts) {
    InferTensorContents.Builder contents = InferTensorContents.newBuilder();
    texts.forEach(t -> contents.addBytesContents(ByteString.copyFromUtf8(t)));
    return InferInputTensor.newBuilder().setName(name).setDatatype("BYTES").addShape(texts.size())
        .setContents(contents).build();
  }

  private static ByteString rawBytes(List<String> texts) {
    ByteString out = ByteString.EMPTY;
    for (String t : texts) {
      byte[] b = t.getBytes(StandardCharsets.UTF_8);
      out = out.concat(ByteString.copyFrom(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(b.length)
          .array())).concat(ByteString.copyFrom(b));
    }
    return out;
  }
}
