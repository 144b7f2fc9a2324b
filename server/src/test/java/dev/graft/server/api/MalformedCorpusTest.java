package dev.graft.server.api;

import static dev.graft.server.api.CorpusData.PNG;
import static dev.graft.server.api.CorpusData.PNG_BASE64;
import static dev.graft.server.api.CorpusData.delimited;
import static dev.graft.server.api.CorpusData.floats;
import static dev.graft.server.api.CorpusData.forecast;
import static dev.graft.server.api.CorpusData.gzip;
import static dev.graft.server.api.CorpusData.gzipZeros;
import static dev.graft.server.api.CorpusData.idx;
import static dev.graft.server.api.CorpusData.image;
import static dev.graft.server.api.CorpusData.labelled;
import static dev.graft.server.api.CorpusData.lines;
import static dev.graft.server.api.CorpusData.lyingSizes;
import static dev.graft.server.api.CorpusData.series;
import static dev.graft.server.api.CorpusData.storedZip;
import static dev.graft.server.api.CorpusData.tensor;
import static dev.graft.server.api.CorpusData.text;
import static dev.graft.server.api.CorpusData.utf8;
import static dev.graft.server.api.CorpusData.valued;
import static dev.graft.server.api.CorpusData.zip;
import static dev.graft.server.api.CorpusData.zipZeros;
import static io.grpc.Status.Code.FAILED_PRECONDITION;
import static io.grpc.Status.Code.INVALID_ARGUMENT;
import static io.grpc.Status.Code.NOT_FOUND;
import static io.grpc.Status.Code.PERMISSION_DENIED;
import static io.grpc.Status.Code.RESOURCE_EXHAUSTED;
import static io.grpc.Status.Code.UNIMPLEMENTED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.protobuf.ByteString;
import com.google.rpc.ErrorInfo;
import dev.graft.api.v1.CancelJobRequest;
import dev.graft.api.v1.DataChunk;
import dev.graft.api.v1.DataSource;
import dev.graft.api.v1.DataType;
import dev.graft.api.v1.DatasetFormat;
import dev.graft.api.v1.DatasetServiceGrpc;
import dev.graft.api.v1.DatasetSpec;
import dev.graft.api.v1.DeleteDatasetRequest;
import dev.graft.api.v1.DeleteModelRequest;
import dev.graft.api.v1.Example;
import dev.graft.api.v1.ExportModelRequest;
import dev.graft.api.v1.ExtractRequest;
import dev.graft.api.v1.GetDatasetRequest;
import dev.graft.api.v1.GetJobRequest;
import dev.graft.api.v1.GetModelRequest;
import dev.graft.api.v1.GetServerInfoRequest;
import dev.graft.api.v1.Hyperparameters;
import dev.graft.api.v1.ImportModelRequest;
import dev.graft.api.v1.InferenceServiceGrpc;
import dev.graft.api.v1.InlineExamples;
import dev.graft.api.v1.Input;
import dev.graft.api.v1.InputSpec;
import dev.graft.api.v1.ListDatasetsRequest;
import dev.graft.api.v1.ListJobsRequest;
import dev.graft.api.v1.ListModelsRequest;
import dev.graft.api.v1.ModelServiceGrpc;
import dev.graft.api.v1.ModelSpec;
import dev.graft.api.v1.PredictRequest;
import dev.graft.api.v1.ServerServiceGrpc;
import dev.graft.api.v1.Task;
import dev.graft.api.v1.TrainRequest;
import dev.graft.api.v1.TrainingServiceGrpc;
import dev.graft.api.v1.UploadDatasetRequest;
import dev.graft.api.v1.WatchJobRequest;
import dev.graft.server.TestData;
import dev.graft.server.TestServer;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * The malformed-request corpus: hundreds of requests a client should never send, across every
 * RPC of the five services, each asserting the exact status code and {@code ErrorInfo} reason,
 * that the message shows neither the store's path nor more than the capped echo, and that the
 * server still answers {@code GetServerInfo} afterwards. One server (a loopback port, raw stubs,
 * so no client-side checks interfere) serves every case.
 *
 * <p>A new RPC must add cases: {@link #everyRpcHasCases()} fails for an RPC without any.
 */
class MalformedCorpusTest {
  /** Small, so that quota and bomb cases are cheap: the parse budget follows it. */
  static final long MAX_DATASET_BYTES = 8L << 20;
  private static final String TEXTS = "corpus-texts";

  @TempDir static Path store;
  static TestServer server;
  static ManagedChannel channel;
  static final List<Case> CASES = new ArrayList<>();

  /** One malformed request: the RPC it goes to, what it is, and the status it must get. */
  record Case(String rpc, String name, Status.Code code, String reason, Call call) {}

  @FunctionalInterface
  interface Call {
    Object run() throws Exception;
  }


  @BeforeAll
  static void start() throws Exception {
    server = TestServer.onPort(store, "max-dataset-bytes", Long.toString(MAX_DATASET_BYTES));
    channel = ManagedChannelBuilder.forAddress("localhost", server.port()).usePlaintext()
        .maxInboundMessageSize(64 << 20).build();
    List<Example> texts = new ArrayList<>();
    for (var e : TestData.tinySentiment()) {
      texts.add(e);
    }
    upload(spec(TEXTS, "nlp", DatasetFormat.DATASET_FORMAT_EXAMPLES).build(), "", delimited(texts));
  }

  @AfterAll
  static void stop() {
    Map<String, Integer> perRpc = new TreeMap<>();
    CASES.forEach(c -> perRpc.merge(c.rpc(), 1, Integer::sum));
    System.out.println("malformed-request corpus: " + CASES.size() + " cases " + perRpc);
    if (channel != null) {
      channel.shutdownNow();
    }
    if (server != null) {
      server.close();
    }
  }

  @TestFactory
  Stream<DynamicTest> corpus() {
    return CASES.stream().map(c -> DynamicTest.dynamicTest(c.rpc() + ": " + c.name(), () -> check(c)));
  }

  @Test
  void corpusIsLarge() {
    assertTrue(CASES.size() >= 300, "the corpus has " + CASES.size() + " cases");
    Set<String> names = new TreeSet<>();
    for (Case c : CASES) {
      assertTrue(names.add(c.rpc() + ": " + c.name()), "duplicate case " + c.name());
    }
  }

  @Test
  void everyRpcHasCases() {
    Set<String> covered = new TreeSet<>();
    CASES.forEach(c -> covered.add(c.rpc()));
    for (ServiceDescriptor service : List.of(DatasetServiceGrpc.getServiceDescriptor(),
        ModelServiceGrpc.getServiceDescriptor(), TrainingServiceGrpc.getServiceDescriptor(),
        InferenceServiceGrpc.getServiceDescriptor(), ServerServiceGrpc.getServiceDescriptor())) {
      for (MethodDescriptor<?, ?> m : service.getMethods()) {
        assertTrue(covered.contains(rpc(m)), "no malformed-request case for " + m.getFullMethodName());
      }
    }
  }

  private static void check(Case c) {
    StatusRuntimeException e = null;
    try {
      Object result = c.call().run();
      fail(c.name() + ": expected " + c.code() + " " + c.reason() + ", but the call succeeded: "
          + String.valueOf(result).substring(0, Math.min(200, String.valueOf(result).length())));
    } catch (StatusRuntimeException s) {
      e = s;
    } catch (Exception other) {
      throw new AssertionError(other);
    }
    String message = String.valueOf(e.getStatus().getDescription());
    assertEquals(c.code() + " " + c.reason(), e.getStatus().getCode() + " " + reason(e), c.name() + ": " + message);
    assertFalse(message.contains(store.toAbsolutePath().toString()), "the store's path in: " + message);
    assertFalse(message.contains("staging"), "a staging path in: " + message);
    assertTrue(message.length() <= 1100, "a message of " + message.length() + " characters");
    // the server still serves
    assertFalse(ServerServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
        .getServerInfo(GetServerInfoRequest.getDefaultInstance()).getVersion().isEmpty());
  }

  static String reason(StatusRuntimeException e) {
    com.google.rpc.Status status = StatusProto.fromThrowable(e);
    if (status == null) {
      return "(no details)";
    }
    return status.getDetailsList().stream().filter(a -> a.is(ErrorInfo.class)).findFirst().map(a -> {
      try {
        return a.unpack(ErrorInfo.class).getReason();
      } catch (com.google.protobuf.InvalidProtocolBufferException x) {
        throw new AssertionError(x);
      }
    }).orElse("(no ErrorInfo)");
  }

  static String rpc(MethodDescriptor<?, ?> m) {
    return m.getBareMethodName();
  }

  private static void add(MethodDescriptor<?, ?> method, String name, Status.Code code, String reason, Call call) {
    CASES.add(new Case(rpc(method), name, code, reason, call));
  }

  // ---------------------------------------------------------------------------------------------
  // calls

  static <T> T await(CompletableFuture<T> f) throws Exception {
    try {
      return f.get(60, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      if (e.getCause() instanceof StatusRuntimeException s) {
        throw s;
      }
      throw e;
    }
  }

  static final class Collector<T> implements StreamObserver<T> {
    final List<T> items = Collections.synchronizedList(new ArrayList<>());
    final CompletableFuture<List<T>> done = new CompletableFuture<>();

    @Override
    public void onNext(T value) {
      items.add(value);
    }

    @Override
    public void onError(Throwable t) {
      done.completeExceptionally(t instanceof StatusRuntimeException ? t : Status.fromThrowable(t).asRuntimeException());
    }

    @Override
    public void onCompleted() {
      done.complete(items);
    }
  }

  static Object uploadMessages(List<UploadDatasetRequest> messages) throws Exception {
    Collector<dev.graft.api.v1.Dataset> out = new Collector<>();
    StreamObserver<UploadDatasetRequest> in = DatasetServiceGrpc.newStub(channel)
        .withDeadlineAfter(60, TimeUnit.SECONDS).uploadDataset(out);
    for (UploadDatasetRequest m : messages) {
      in.onNext(m);
    }
    in.onCompleted();
    return await(out.done);
  }

  static UploadDatasetRequest chunk(String part, byte[] data) {
    return UploadDatasetRequest.newBuilder()
        .setChunk(DataChunk.newBuilder().setPart(part).setData(ByteString.copyFrom(data))).build();
  }

  static DatasetSpec.Builder spec(String name, String domain, DatasetFormat format) {
    return DatasetSpec.newBuilder().setName(name).setDomain(domain).setFormat(format);
  }

  /** An upload of (part, bytes) pairs after the spec. */
  static Object upload(DatasetSpec spec, Object... partsAndBytes) throws Exception {
    List<UploadDatasetRequest> messages = new ArrayList<>();
    messages.add(UploadDatasetRequest.newBuilder().setSpec(spec).build());
    for (int i = 0; i < partsAndBytes.length; i += 2) {
      byte[] data = (byte[]) partsAndBytes[i + 1];
      for (int off = 0; off < data.length || off == 0; off += 1 << 20) {
        messages.add(chunk((String) partsAndBytes[i],
            java.util.Arrays.copyOfRange(data, off, Math.min(data.length, off + (1 << 20)))));
        if (data.length == 0) {
          break;
        }
      }
    }
    return uploadMessages(messages);
  }

  static Object importMessages(List<ImportModelRequest> messages) throws Exception {
    Collector<dev.graft.api.v1.Model> out = new Collector<>();
    StreamObserver<ImportModelRequest> in = ModelServiceGrpc.newStub(channel)
        .withDeadlineAfter(60, TimeUnit.SECONDS).importModel(out);
    for (ImportModelRequest m : messages) {
      in.onNext(m);
    }
    in.onCompleted();
    return await(out.done);
  }

  static ImportModelRequest importChunk(String part, byte[] data) {
    return ImportModelRequest.newBuilder()
        .setChunk(DataChunk.newBuilder().setPart(part).setData(ByteString.copyFrom(data))).build();
  }

  static Object importModel(ModelSpec spec, Object... partsAndBytes) throws Exception {
    List<ImportModelRequest> messages = new ArrayList<>();
    messages.add(ImportModelRequest.newBuilder().setSpec(spec).build());
    for (int i = 0; i < partsAndBytes.length; i += 2) {
      messages.add(importChunk((String) partsAndBytes[i], (byte[]) partsAndBytes[i + 1]));
    }
    return importMessages(messages);
  }

  static <Q, A> Object bidi(java.util.function.Function<StreamObserver<A>, StreamObserver<Q>> open, List<Q> requests)
      throws Exception {
    Collector<A> out = new Collector<>();
    StreamObserver<Q> in = open.apply(out);
    for (Q q : requests) {
      in.onNext(q);
    }
    in.onCompleted();
    return await(out.done);
  }

  private static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }
  };

  /** Sends {@code bytes} as the request message of {@code method}, whatever its kind; returns or throws its end. */
  @SuppressWarnings("unchecked")
  static Object raw(MethodDescriptor<?, ?> method, byte[] bytes) throws Exception {
    MethodDescriptor<byte[], byte[]> m = ((MethodDescriptor<Object, Object>) method).toBuilder(BYTES, BYTES).build();
    ClientCall<byte[], byte[]> call = channel.newCall(m, CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS));
    CompletableFuture<Object> done = new CompletableFuture<>();
    call.start(new ClientCall.Listener<>() {
      @Override
      public void onClose(Status status, Metadata trailers) {
        if (status.isOk()) {
          done.complete("OK");
        } else {
          done.completeExceptionally(status.asRuntimeException(trailers));
        }
      }
    }, new Metadata());
    call.request(16);
    call.sendMessage(bytes);
    call.halfClose();
    return await(done);
  }

  // ---------------------------------------------------------------------------------------------
  // DatasetService

  static final MethodDescriptor<?, ?> UPLOAD = DatasetServiceGrpc.getUploadDatasetMethod();

  private static void uploadCase(String name, Status.Code code, String reason, DatasetSpec.Builder spec,
      Object... partsAndBytes) {
    add(UPLOAD, name, code, reason, () -> upload(spec.build(), partsAndBytes));
  }

  private static DatasetSpec.Builder jsonlSpec() {
    return spec("corpus-jsonl", "nlp", DatasetFormat.DATASET_FORMAT_JSONL);
  }

  private static void jsonlCase(String name, String reason, String... lines) {
    uploadCase("JSONL " + name, INVALID_ARGUMENT, reason, jsonlSpec(), "", lines(lines));
  }

  private static void uploadCommon() {
    byte[] ok = lines("{\"text\":\"a\",\"label\":\"x\"}", "{\"text\":\"b\",\"label\":\"y\"}");
    add(UPLOAD, "no message at all", INVALID_ARGUMENT, "SPEC_MISSING", () -> uploadMessages(List.of()));
    add(UPLOAD, "a chunk before the spec", INVALID_ARGUMENT, "SPEC_MISSING",
        () -> uploadMessages(List.of(chunk("", ok))));
    add(UPLOAD, "the spec twice", INVALID_ARGUMENT, "SPEC_REPEATED", () -> uploadMessages(List.of(
        UploadDatasetRequest.newBuilder().setSpec(jsonlSpec()).build(),
        UploadDatasetRequest.newBuilder().setSpec(jsonlSpec()).build())));
    add(UPLOAD, "a message with neither spec nor chunk", INVALID_ARGUMENT, "EMPTY_MESSAGE",
        () -> uploadMessages(List.of(UploadDatasetRequest.getDefaultInstance())));
    uploadCase("no format", INVALID_ARGUMENT, "MISSING_FIELD",
        spec("corpus", "nlp", DatasetFormat.DATASET_FORMAT_UNSPECIFIED), "", ok);
    uploadCase("an unknown format number", INVALID_ARGUMENT, "MISSING_FIELD",
        spec("corpus", "nlp", DatasetFormat.DATASET_FORMAT_JSONL).setFormatValue(99), "", ok);
    uploadCase("no domain", INVALID_ARGUMENT, "MISSING_FIELD", jsonlSpec().setDomain(""), "", ok);
    uploadCase("an unknown domain", INVALID_ARGUMENT, "UNKNOWN_DOMAIN", jsonlSpec().setDomain("astrology"), "", ok);
    uploadCase("a 300-character domain", INVALID_ARGUMENT, "UNKNOWN_DOMAIN", jsonlSpec().setDomain("d".repeat(300)),
        "", ok);
    uploadCase("an unknown task number", INVALID_ARGUMENT, "UNKNOWN_TASK", jsonlSpec().setTaskValue(42), "", ok);
    uploadCase("no name", INVALID_ARGUMENT, "INVALID_MODEL_NAME", jsonlSpec().setName(""), "", ok);
    uploadCase("a name with spaces", INVALID_ARGUMENT, "INVALID_MODEL_NAME", jsonlSpec().setName("my data"), "", ok);
    uploadCase("an upper-case name", INVALID_ARGUMENT, "INVALID_MODEL_NAME", jsonlSpec().setName("Data"), "", ok);
    uploadCase("a path as name", INVALID_ARGUMENT, "INVALID_MODEL_NAME", jsonlSpec().setName("../../etc/passwd"),
        "", ok);
    uploadCase("a 300-character name", INVALID_ARGUMENT, "INVALID_MODEL_NAME", jsonlSpec().setName("n".repeat(300)),
        "", ok);
    uploadCase("a name of 64 characters", INVALID_ARGUMENT, "INVALID_MODEL_NAME", jsonlSpec().setName("n".repeat(64)),
        "", ok);
    uploadCase("a name with a NUL", INVALID_ARGUMENT, "INVALID_MODEL_NAME", jsonlSpec().setName("a\u0000b"), "", ok);
    uploadCase("a 300-character part name", INVALID_ARGUMENT, "INVALID_PART_NAME", jsonlSpec(), "p".repeat(300), ok);
    uploadCase("a path as part name", INVALID_ARGUMENT, "INVALID_PART_NAME", jsonlSpec(), "../x", ok);
    uploadCase("a part name with a slash", INVALID_ARGUMENT, "INVALID_PART_NAME", jsonlSpec(), "a/b", ok);
    uploadCase("a part name starting with a dot", INVALID_ARGUMENT, "INVALID_PART_NAME", jsonlSpec(), ".hidden", ok);
    Object[] seventeen = new Object[34];
    for (int i = 0; i < 17; i++) {
      seventeen[2 * i] = "p" + i;
      seventeen[2 * i + 1] = ok;
    }
    uploadCase("17 parts", INVALID_ARGUMENT, "TOO_MANY_PARTS", jsonlSpec(), seventeen);
    uploadCase("more than max-dataset-bytes", RESOURCE_EXHAUSTED, "DATASET_TOO_LARGE", jsonlSpec(), "",
        new byte[(int) MAX_DATASET_BYTES + 1]);
    uploadCase("no data", INVALID_ARGUMENT, "EMPTY_DATASET", jsonlSpec());
    uploadCase("an empty chunk only", INVALID_ARGUMENT, "EMPTY_DATASET", jsonlSpec(), "", new byte[0]);
    uploadCase("33 options", INVALID_ARGUMENT, "INVALID_OPTION", optionsOf(jsonlSpec(), 33), "", ok);
  }

  private static DatasetSpec.Builder optionsOf(DatasetSpec.Builder spec, int n) {
    for (int i = 0; i < n; i++) {
      spec.putOptions("option" + i, "v");
    }
    return spec;
  }

  private static void jsonl() {
    String r = "INVALID_DATASET_RECORD";
    jsonlCase("not JSON", r, "{\"text\":\"a\",\"label\":\"x\"}", "this is not json");
    jsonlCase("a truncated object", r, "{\"text\":\"a\",\"label\":");
    jsonlCase("text after the object", r, "{\"text\":\"a\",\"label\":\"x\"} trailing");
    jsonlCase("two objects on a line", r, "{\"text\":\"a\",\"label\":\"x\"}{\"text\":\"b\",\"label\":\"y\"}");
    jsonlCase("an array line", r, "[1, 2, 3]");
    jsonlCase("a string line", r, "\"text\"");
    jsonlCase("a number line", r, "42");
    jsonlCase("a null line", r, "null");
    jsonlCase("single quotes (lenient JSON)", r, "{'text':'a','label':'x'}");
    jsonlCase("a NaN literal", r, "{\"text\":\"a\",\"value\":NaN}");
    jsonlCase("an Infinity literal", r, "{\"text\":\"a\",\"value\":Infinity}");
    jsonlCase("no input", r, "{\"label\":\"x\"}");
    jsonlCase("no target", r, "{\"text\":\"a\"}");
    jsonlCase("two inputs", r, "{\"text\":\"a\",\"series\":[1],\"label\":\"x\"}");
    jsonlCase("two targets", r, "{\"text\":\"a\",\"label\":\"x\",\"value\":1}");
    jsonlCase("a boolean label", r, "{\"text\":\"a\",\"label\":true}");
    jsonlCase("an object label", r, "{\"text\":\"a\",\"label\":{\"k\":1}}");
    jsonlCase("an array label", r, "{\"text\":\"a\",\"label\":[1]}");
    jsonlCase("an empty label", r, "{\"text\":\"a\",\"label\":\"\"}");
    jsonlCase("a 2000-character label", r, "{\"text\":\"a\",\"label\":\"" + "l".repeat(2000) + "\"}");
    jsonlCase("a string value", r, "{\"text\":\"a\",\"value\":\"1.5\"}");
    jsonlCase("a value beyond float range", r, "{\"text\":\"a\",\"value\":1e39}");
    jsonlCase("a value of -1e309", r, "{\"text\":\"a\",\"value\":-1e309}");
    jsonlCase("empty values", r, "{\"series\":[1,2],\"values\":[]}");
    jsonlCase("values holding a string", r, "{\"series\":[1,2],\"values\":[1,\"x\"]}");
    jsonlCase("values holding null", r, "{\"series\":[1,2],\"values\":[1,null]}");
    jsonlCase("values beyond float range", r, "{\"series\":[1,2],\"values\":[1,1e39]}");
    jsonlCase("values holding a nested array", r, "{\"series\":[1,2],\"values\":[[1,2]]}");
    jsonlCase("a label then a value", r, "{\"text\":\"a\",\"label\":\"x\"}", "{\"text\":\"b\",\"value\":1}");
    jsonlCase("a number as text", r, "{\"text\":5,\"label\":\"x\"}");
    jsonlCase("an object as pair", r, "{\"text\":\"a\",\"pair\":{},\"label\":\"x\"}");
    jsonlCase("an empty series", r, "{\"series\":[],\"label\":\"x\"}");
    jsonlCase("a series that is a string", r, "{\"series\":\"1,2,3\",\"label\":\"x\"}");
    jsonlCase("a series with a string", r, "{\"series\":[1,\"two\"],\"label\":\"x\"}");
    jsonlCase("a series beyond float range", r, "{\"series\":[1,1e39],\"label\":\"x\"}");
    jsonlCase("channels 0", r, "{\"series\":[1,2],\"channels\":0,\"label\":\"x\"}");
    jsonlCase("channels -1", r, "{\"series\":[1,2],\"channels\":-1,\"label\":\"x\"}");
    jsonlCase("channels 1.5", r, "{\"series\":[1,2],\"channels\":1.5,\"label\":\"x\"}");
    jsonlCase("channels that do not divide", r, "{\"series\":[1,2,3],\"channels\":2,\"label\":\"x\"}");
    jsonlCase("channels 1e12", r, "{\"series\":[1,2],\"channels\":1e12,\"label\":\"x\"}");
    jsonlCase("an image that is not base64", r, "{\"image\":\"***\",\"label\":\"x\"}");
    jsonlCase("an empty image", r, "{\"image\":\"\",\"label\":\"x\"}");
    jsonlCase("image bytes that are not an image", r,
        "{\"image\":\"" + java.util.Base64.getEncoder().encodeToString(utf8("hello, world")) + "\",\"label\":\"x\"}");
    jsonlCase("a data URL of text", r, "{\"image\":\"data:text/plain;base64,aGVsbG8=\",\"label\":\"x\"}");
    jsonlCase("a number as image", r, "{\"image\":7,\"label\":\"x\"}");
    jsonlCase("JSON nested 100000 deep", r, "{\"text\":\"a\",\"label\":\"x\",\"deep\":" + "[".repeat(100_000) + "}");
    uploadCase("JSONL invalid UTF-8", INVALID_ARGUMENT, r, jsonlSpec(), "",
        new byte[] {'{', '"', 't', 'e', 'x', 't', '"', ':', '"', (byte) 0xc3, (byte) 0x28, '"', '}', '\n'});
    uploadCase("JSONL an unknown option", INVALID_ARGUMENT, "INVALID_OPTION",
        jsonlSpec().putOptions("txt_field", "sentence"), "", lines("{\"sentence\":\"a\",\"label\":\"x\"}"));
    uploadCase("JSONL a CSV option", INVALID_ARGUMENT, "INVALID_OPTION", jsonlSpec().putOptions("delimiter", ";"), "",
        lines("{\"text\":\"a\",\"label\":\"x\"}"));
    uploadCase("JSONL a 2000-character option value", INVALID_ARGUMENT, "INVALID_OPTION",
        jsonlSpec().putOptions("text_field", "f".repeat(2000)), "", lines("{\"text\":\"a\",\"label\":\"x\"}"));
    uploadCase("JSONL a named part", INVALID_ARGUMENT, "UNEXPECTED_PART", jsonlSpec(), "images",
        lines("{\"text\":\"a\",\"label\":\"x\"}"));
    uploadCase("JSONL blank lines only", INVALID_ARGUMENT, "EMPTY_DATASET", jsonlSpec(), "", lines("", "  ", ""));
    uploadCase("JSONL labels declared as regression", INVALID_ARGUMENT, "TASK_MISMATCH",
        jsonlSpec().setTask(Task.TASK_REGRESSION), "", lines("{\"text\":\"a\",\"label\":\"x\"}"));
    uploadCase("JSONL forecasts of two horizons", INVALID_ARGUMENT, "INCONSISTENT_HORIZON", jsonlSpec(), "",
        lines("{\"series\":[1,2],\"values\":[1,2]}", "{\"series\":[1,2],\"values\":[1]}"));
    uploadCase("JSONL an image for the vision domain that is text", INVALID_ARGUMENT, r,
        jsonlSpec().setDomain("vision"), "", lines("{\"image\":\"" + java.util.Base64.getEncoder()
            .encodeToString(utf8("an image? no")) + "\",\"label\":\"x\"}"));
    uploadCase("JSONL a valid image then a text line", INVALID_ARGUMENT, "INVALID_DATASET_RECORD",
        jsonlSpec().setDomain("vision"), "", lines("{\"image\":\"" + PNG_BASE64 + "\",\"label\":\"x\"}",
            "{\"image\":\"aGVsbG8=\",\"label\":\"y\"}"));
  }

  private static DatasetSpec.Builder csvSpec() {
    return spec("corpus-csv", "nlp", DatasetFormat.DATASET_FORMAT_CSV);
  }

  private static void csvCase(String name, String reason, DatasetSpec.Builder spec, String text) {
    uploadCase("CSV " + name, INVALID_ARGUMENT, reason, spec, "", utf8(text));
  }

  private static void csv() {
    String r = "INVALID_DATASET_RECORD";
    csvCase("no text column", r, csvSpec(), "sentence,label\na,x\n");
    csvCase("no label column", r, csvSpec(), "text,class\na,x\n");
    csvCase("a row with too few fields", r, csvSpec(), "text,label\na,x\nb\n");
    csvCase("a row with too many fields", r, csvSpec(), "text,label\na,x,extra\n");
    csvCase("an unterminated quote", r, csvSpec(), "text,label\n\"a,x\nb,y\n");
    csvCase("a quote inside an unquoted field", r, csvSpec(), "text,label\na\"b,x\n");
    csvCase("text after a closing quote", r, csvSpec(), "text,label\n\"a\"b,x\n");
    csvCase("an empty label", r, csvSpec(), "text,label\na,\n");
    csvCase("a 2000-character label", r, csvSpec(), "text,label\na," + "l".repeat(2000) + "\n");
    csvCase("a value that is not a number", r, csvSpec().putOptions("value_column", "score"),
        "text,score\na,high\n");
    csvCase("a NaN value", r, csvSpec().putOptions("value_column", "score"), "text,score\na,NaN\n");
    csvCase("an infinite value", r, csvSpec().putOptions("value_column", "score"), "text,score\na,Infinity\n");
    csvCase("a value beyond float range", r, csvSpec().putOptions("value_column", "score"), "text,score\na,1e39\n");
    csvCase("an empty value", r, csvSpec().putOptions("value_column", "score"), "text,score\na,\n");
    csvCase("a missing pair column", r, csvSpec().putOptions("pair_column", "second"), "text,label\na,x\n");
    csvCase("a 300-character missing column", r, csvSpec().putOptions("text_column", "c".repeat(300)),
        "text,label\na,x\n");
    csvCase("a record of 1,000,001 fields", r, csvSpec(), "text,label\n" + ",".repeat(1_000_000) + "\n");
    csvCase("a two-character delimiter", "INVALID_OPTION", csvSpec().putOptions("delimiter", ";;"),
        "text,label\na,x\n");
    csvCase("a quote as delimiter", "INVALID_OPTION", csvSpec().putOptions("delimiter", "\""), "text,label\na,x\n");
    csvCase("a line break as delimiter", "INVALID_OPTION", csvSpec().putOptions("delimiter", "\n"),
        "text,label\na,x\n");
    csvCase("a 300-character delimiter", "INVALID_OPTION", csvSpec().putOptions("delimiter", "d".repeat(300)),
        "text,label\na,x\n");
    csvCase("an unknown option", "INVALID_OPTION", csvSpec().putOptions("text_col", "text"), "text,label\na,x\n");
    csvCase("a JSONL option", "INVALID_OPTION", csvSpec().putOptions("text_field", "text"), "text,label\na,x\n");
    csvCase("a series option without layout", "INVALID_OPTION", csvSpec().putOptions("horizon", "3"),
        "text,label\na,x\n");
    uploadCase("CSV invalid UTF-8", INVALID_ARGUMENT, r, csvSpec(), "",
        new byte[] {'t', 'e', 'x', 't', ',', 'l', 'a', 'b', 'e', 'l', '\n', (byte) 0xff, ',', 'x', '\n'});
    csvCase("a header only", "EMPTY_DATASET", csvSpec(), "text,label\n");
    uploadCase("CSV a named part", INVALID_ARGUMENT, "UNEXPECTED_PART", csvSpec(), "extra", utf8("text,label\na,x\n"));
  }

  private static DatasetSpec.Builder seriesSpec(String... options) {
    DatasetSpec.Builder s = spec("corpus-series", "timeseries", DatasetFormat.DATASET_FORMAT_CSV);
    for (int i = 0; i < options.length; i += 2) {
      s.putOptions(options[i], options[i + 1]);
    }
    return s;
  }

  private static void seriesCase(String name, String reason, DatasetSpec.Builder spec, String text) {
    uploadCase("series CSV " + name, INVALID_ARGUMENT, reason, spec, "", utf8(text));
  }

  private static void seriesCsv() {
    String r = "INVALID_DATASET_RECORD";
    String o = "INVALID_OPTION";
    String data = "value\n1\n2\n3\n4\n5\n6\n7\n8\n";
    seriesCase("an unknown layout", o, seriesSpec("layout", "diagonal"), data);
    seriesCase("horizon 0", o, seriesSpec("layout", "long", "horizon", "0"), data);
    seriesCase("horizon -1", o, seriesSpec("layout", "long", "horizon", "-1"), data);
    seriesCase("horizon abc", o, seriesSpec("layout", "long", "horizon", "abc"), data);
    seriesCase("horizon 2000000", o, seriesSpec("layout", "long", "horizon", "2000000"), data);
    seriesCase("horizon 2^31", o, seriesSpec("layout", "long", "horizon", "2147483648"), data);
    seriesCase("context_length 0", o, seriesSpec("layout", "long", "horizon", "2", "context_length", "0"), data);
    seriesCase("stride 0", o, seriesSpec("layout", "long", "horizon", "2", "stride", "0"), data);
    seriesCase("stride 1.5", o, seriesSpec("layout", "long", "horizon", "2", "stride", "1.5"), data);
    seriesCase("missing=sometimes", o, seriesSpec("layout", "long", "missing", "sometimes"), data);
    seriesCase("value_columns of commas", o, seriesSpec("layout", "long", "value_columns", ",,"), data);
    seriesCase("value_columns twice the same", o, seriesSpec("layout", "long", "value_columns", "a,a"),
        "a\n1\n");
    seriesCase("an unknown option", o, seriesSpec("layout", "long", "horizon", "2", "window", "4"), data);
    seriesCase("a text option", o, seriesSpec("layout", "long", "horizon", "2", "text_column", "value"), data);
    seriesCase("a value column the header lacks", "UNKNOWN_COLUMN",
        seriesSpec("layout", "long", "horizon", "2", "value_columns", "load"), data);
    seriesCase("a series id column the header lacks", "UNKNOWN_COLUMN",
        seriesSpec("layout", "long", "horizon", "2", "series_id_column", "id"), data);
    seriesCase("a timestamp column the header lacks", "UNKNOWN_COLUMN",
        seriesSpec("layout", "long", "horizon", "2", "timestamp_column", "ts"), data);
    seriesCase("a label column the header lacks", "UNKNOWN_COLUMN",
        seriesSpec("layout", "wide", "label_column", "class"), "a,b\n1,2\n");
    seriesCase("a cell that is not a number", r, seriesSpec("layout", "long", "horizon", "2"),
        "value\n1\n2\nlots\n4\n5\n6\n7\n");
    seriesCase("an infinite cell", r, seriesSpec("layout", "long", "horizon", "2"),
        "value\n1\n2\nInfinity\n4\n5\n6\n7\n");
    seriesCase("a missing cell with missing=error", r, seriesSpec("layout", "long", "horizon", "2", "missing",
        "error"), "value\n1\n2\nNA\n4\n5\n6\n7\n");
    seriesCase("a series with no value", r, seriesSpec("layout", "long", "horizon", "1", "context_length", "1"),
        "value\nNaN\nNA\n\n");
    seriesCase("a repeated timestamp", r, seriesSpec("layout", "long", "horizon", "1", "context_length", "1",
        "timestamp_column", "t"), "t,value\n1,1\n1,2\n2,3\n");
    seriesCase("a timestamp that is not one", r, seriesSpec("layout", "long", "horizon", "1", "context_length", "1",
        "timestamp_column", "t"), "t,value\nyesterday,1\n2,2\n");
    seriesCase("a label that changes within a series", r, seriesSpec("layout", "long", "label_column", "class"),
        "value,class\n1,a\n2,b\n");
    seriesCase("neither label nor horizon", "MISSING_OPTION", seriesSpec("layout", "long"), data);
    seriesCase("a regression label that is not a number", r,
        seriesSpec("layout", "wide", "label_column", "y").setTask(Task.TASK_REGRESSION), "y,a,b\nbig,1,2\n");
    seriesCase("wide: one series id twice", r, seriesSpec("layout", "wide", "series_id_column", "id",
        "label_column", "y"), "id,y,a,b\ns1,p,1,2\ns1,q,3,4\n");
    seriesCase("too short for one window", "EMPTY_DATASET", seriesSpec("layout", "long", "horizon", "4"), data);
    StringBuilder longSeries = new StringBuilder("value\n");
    for (int i = 0; i < 200_000; i++) {
      longSeries.append(i % 10).append('\n');
    }
    uploadCase("series CSV windows that amplify 400 KB into 40 GB", RESOURCE_EXHAUSTED, "PARSED_TOO_LARGE",
        seriesSpec("layout", "long", "horizon", "1", "context_length", "100000", "stride", "1"), "",
        utf8(longSeries.toString()));
  }

  private static DatasetSpec.Builder idxSpec() {
    return spec("corpus-idx", "vision", DatasetFormat.DATASET_FORMAT_IDX);
  }

  private static void idxCase(String name, Status.Code code, String reason, byte[] images, byte[] labels) {
    uploadCase("IDX " + name, code, reason, idxSpec(), "images", images, "labels", labels);
  }

  private static void idxCases() {
    String r = "INVALID_DATASET_RECORD";
    byte[] images = idx(new int[] {2, 2, 2}, new byte[8]);
    byte[] labels = idx(new int[] {2}, new byte[] {0, 1});
    uploadCase("IDX no labels part", INVALID_ARGUMENT, "MISSING_PART", idxSpec(), "images", images);
    uploadCase("IDX no images part", INVALID_ARGUMENT, "MISSING_PART", idxSpec(), "labels", labels);
    uploadCase("IDX an extra part", INVALID_ARGUMENT, "UNEXPECTED_PART", idxSpec(), "images", images, "labels",
        labels, "extra", labels);
    uploadCase("IDX the main part", INVALID_ARGUMENT, "UNEXPECTED_PART", idxSpec(), "", images);
    uploadCase("IDX an option", INVALID_ARGUMENT, "INVALID_OPTION", idxSpec().putOptions("channels", "3"), "images",
        images, "labels", labels);
    idxCase("a bad magic number", INVALID_ARGUMENT, r, utf8("not an idx file at all"), labels);
    idxCase("float data", INVALID_ARGUMENT, r, idx(0x0D, new int[] {2, 2, 2}, new byte[32]), labels);
    idxCase("images of 2 dimensions", INVALID_ARGUMENT, r, idx(new int[] {2, 4}, new byte[8]), labels);
    idxCase("images of 5 dimensions", INVALID_ARGUMENT, r, idx(new int[] {2, 1, 2, 2, 1}, new byte[8]), labels);
    idxCase("images of 255 dimensions", INVALID_ARGUMENT, r, idx(new int[255], new byte[0]), labels);
    idxCase("labels of 2 dimensions", INVALID_ARGUMENT, r, images, idx(new int[] {2, 1}, new byte[2]));
    idxCase("3 labels for 2 images", INVALID_ARGUMENT, r, images, idx(new int[] {3}, new byte[3]));
    idxCase("a zero dimension", INVALID_ARGUMENT, r, idx(new int[] {2, 0, 2}, new byte[0]), labels);
    idxCase("a negative dimension", INVALID_ARGUMENT, r, idx(new int[] {2, -2, 2}, new byte[8]), labels);
    idxCase("2 channels", INVALID_ARGUMENT, r, idx(new int[] {2, 2, 2, 2}, new byte[16]), labels);
    idxCase("5 channels", INVALID_ARGUMENT, r, idx(new int[] {2, 1, 1, 5}, new byte[10]), labels);
    idxCase("a header cut short", INVALID_ARGUMENT, r, new byte[] {0, 0, 8, 3, 0, 0}, labels);
    idxCase("fewer image bytes than declared", INVALID_ARGUMENT, r, idx(new int[] {2, 2, 2}, new byte[5]), labels);
    idxCase("a count of 2^31-1 in a small file", INVALID_ARGUMENT, r,
        idx(new int[] {Integer.MAX_VALUE, 28, 28}, new byte[100]), idx(new int[] {Integer.MAX_VALUE}, new byte[1]));
    idxCase("images of 10000 × 10000 pixels", INVALID_ARGUMENT, r, idx(new int[] {1, 10_000, 10_000}, new byte[1]),
        idx(new int[] {1}, new byte[1]));
    idxCase("rows × cols overflowing int", INVALID_ARGUMENT, r,
        idx(new int[] {1, 1 << 20, 1 << 20}, new byte[1]), idx(new int[] {1}, new byte[1]));
    idxCase("gzipped images cut short", INVALID_ARGUMENT, r,
        java.util.Arrays.copyOf(gzip(idx(new int[] {2, 28, 28}, new byte[2 * 784])), 30), labels);
    idxCase("a gzip magic then garbage", INVALID_ARGUMENT, r,
        new byte[] {0x1f, (byte) 0x8b, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, labels);
    byte[] corrupt = gzip(idx(new int[] {2, 2, 2}, new byte[8]));
    for (int i = 10; i < corrupt.length - 8; i++) {
      corrupt[i] = (byte) 0xff;
    }
    idxCase("corrupt deflate data", INVALID_ARGUMENT, r, corrupt, labels);
    idxCase("a gzip bomb declaring 1,000,000 images", RESOURCE_EXHAUSTED, "DECOMPRESSED_TOO_LARGE",
        gzipZeros(idx(new int[] {1_000_000, 28, 28}, new byte[0]), 8L << 20),
        gzip(idx(new int[] {1_000_000}, new byte[0])));
    idxCase("a gzip bomb declaring 2^31-1 labels", RESOURCE_EXHAUSTED, "DECOMPRESSED_TOO_LARGE",
        gzip(idx(new int[] {Integer.MAX_VALUE, 1, 1}, new byte[0])),
        gzipZeros(idx(new int[] {Integer.MAX_VALUE}, new byte[0]), 1L << 20));
  }

  private static DatasetSpec.Builder examplesSpec() {
    return spec("corpus-examples", "nlp", DatasetFormat.DATASET_FORMAT_EXAMPLES);
  }

  private static void examplesCase(String name, Status.Code code, String reason, Example... examples) {
    uploadCase("EXAMPLES " + name, code, reason, examplesSpec(), "", delimited(List.of(examples)));
  }

  private static void examplesFormat() {
    Example ok = labelled(text("fine"), "x");
    uploadCase("EXAMPLES bytes that are not messages", INVALID_ARGUMENT, "INVALID_DATASET_RECORD", examplesSpec(),
        "", utf8("\u00ff\u00ff\u00ff garbage"));
    byte[] whole = delimited(List.of(ok, ok));
    uploadCase("EXAMPLES a message cut short", INVALID_ARGUMENT, "INVALID_DATASET_RECORD", examplesSpec(), "",
        java.util.Arrays.copyOf(whole, whole.length - 3));
    uploadCase("EXAMPLES a length prefix of 2^31", INVALID_ARGUMENT, "INVALID_DATASET_RECORD", examplesSpec(), "",
        new byte[] {(byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x08, 1, 2, 3});
    uploadCase("EXAMPLES a named part", INVALID_ARGUMENT, "UNEXPECTED_PART", examplesSpec(), "more",
        delimited(List.of(ok)));
    uploadCase("EXAMPLES an option", INVALID_ARGUMENT, "INVALID_OPTION", examplesSpec().putOptions("x", "y"), "",
        delimited(List.of(ok)));
    examplesCase("no input", INVALID_ARGUMENT, "MISSING_INPUT",
        Example.newBuilder().setTarget(dev.graft.api.v1.Target.newBuilder().setLabel("x")).build());
    examplesCase("no target", INVALID_ARGUMENT, "MISSING_TARGET", Example.newBuilder().setInput(text("a")).build());
    examplesCase("an empty input", INVALID_ARGUMENT, "EMPTY_INPUT", labelled(Input.getDefaultInstance(), "x"));
    examplesCase("an empty label", INVALID_ARGUMENT, "EMPTY_LABEL", labelled(text("a"), ""));
    examplesCase("a 2000-character label", INVALID_ARGUMENT, "INVALID_LABEL", labelled(text("a"), "l".repeat(2000)));
    examplesCase("a NaN target", INVALID_ARGUMENT, "NON_FINITE_VALUE", valued(text("a"), Float.NaN));
    examplesCase("an infinite target", INVALID_ARGUMENT, "NON_FINITE_VALUE", valued(text("a"), Float.POSITIVE_INFINITY));
    examplesCase("a NaN in a forecast", INVALID_ARGUMENT, "NON_FINITE_VALUE", forecast(series(1, 1, 2), 1, Float.NaN));
    examplesCase("an empty forecast", INVALID_ARGUMENT, "INVALID_TARGET", forecast(series(1, 1, 2)));
    examplesCase("a NaN in a series input", INVALID_ARGUMENT, "NON_FINITE_VALUE",
        labelled(series(1, 1, Float.NaN), "x"));
    examplesCase("a series of -1 channels", INVALID_ARGUMENT, "INVALID_SERIES", labelled(series(-1, 1, 2), "x"));
    examplesCase("a tensor of shape [2^62, 4]", INVALID_ARGUMENT, "INVALID_TENSOR_SHAPE",
        labelled(tensor(DataType.DATA_TYPE_UINT8, new byte[0], 1L << 62, 4), "x"));
    examplesCase("a tensor without dtype", INVALID_ARGUMENT, "MISSING_DTYPE",
        labelled(tensor(DataType.DATA_TYPE_UNSPECIFIED, new byte[4], 2, 2), "x"));
    examplesCase("image bytes that are not an image", INVALID_ARGUMENT, "UNSUPPORTED_IMAGE_FORMAT",
        labelled(image(utf8("<html>")), "x"));
    examplesCase("a label then a value", INVALID_ARGUMENT, "MIXED_TARGETS", ok, valued(text("b"), 1));
  }

  private static DatasetSpec.Builder zipSpec() {
    return spec("corpus-zip", "vision", DatasetFormat.DATASET_FORMAT_ZIP);
  }

  private static void zipCases() {
    String r = "INVALID_DATASET_RECORD";
    uploadCase("ZIP bytes that are not an archive", INVALID_ARGUMENT, r, zipSpec(), "", utf8("PK? no"));
    uploadCase("ZIP an archive without images", INVALID_ARGUMENT, r, zipSpec(), "",
        zip("readme.txt", utf8("hello"), "cat/notes.md", utf8("meow")));
    uploadCase("ZIP an empty archive", INVALID_ARGUMENT, r, zipSpec(), "", zip());
    uploadCase("ZIP an image at the root", INVALID_ARGUMENT, r, zipSpec(), "", zip("cat.png", PNG));
    uploadCase("ZIP text named .png", INVALID_ARGUMENT, r, zipSpec(), "", zip("cat/1.png", utf8("not a png")));
    uploadCase("ZIP a PNG named .jpg", INVALID_ARGUMENT, r, zipSpec(), "", zip("cat/1.jpg", PNG));
    uploadCase("ZIP a 300-character entry name at the root", INVALID_ARGUMENT, r, zipSpec(), "",
        zip("e".repeat(300) + ".png", PNG));
    byte[] stored = storedZip("cat/1.png", PNG);
    byte[] damaged = stored.clone();
    damaged[40] ^= 0x55; // inside the stored data: the CRC no longer matches
    uploadCase("ZIP an entry whose CRC fails", INVALID_ARGUMENT, r, zipSpec(), "", damaged);
    byte[] truncated = java.util.Arrays.copyOf(zip("cat/1.png", PNG, "dog/1.png", PNG), 60);
    uploadCase("ZIP an archive cut short", INVALID_ARGUMENT, r, zipSpec(), "", truncated);
    uploadCase("ZIP a named part", INVALID_ARGUMENT, "UNEXPECTED_PART", zipSpec(), "images", zip("cat/1.png", PNG));
    uploadCase("ZIP an option", INVALID_ARGUMENT, "INVALID_OPTION", zipSpec().putOptions("folder", "x"), "",
        zip("cat/1.png", PNG));
    uploadCase("ZIP a bomb that declares its size", RESOURCE_EXHAUSTED, "DECOMPRESSED_TOO_LARGE", zipSpec(), "",
        zipZeros("cat/1.bmp", utf8("BM"), 40L << 20));
    uploadCase("ZIP a bomb that lies about its size", INVALID_ARGUMENT, r, zipSpec(), "",
        lyingSizes(zipZeros("cat/1.bmp", utf8("BM"), 40L << 20), 1000));
    uploadCase("ZIP an entry over 64 MiB", INVALID_ARGUMENT, r, zipSpec(), "",
        zipZeros("cat/1.bmp", utf8("BM"), 65L << 20));
  }

  private static void datasetLookups() {
    var get = DatasetServiceGrpc.getGetDatasetMethod();
    var list = DatasetServiceGrpc.getListDatasetsMethod();
    var delete = DatasetServiceGrpc.getDeleteDatasetMethod();
    UnaryOperator<DatasetServiceGrpc.DatasetServiceBlockingStub> d = s -> s.withDeadlineAfter(30, TimeUnit.SECONDS);
    Map<String, Object[]> ids = new LinkedHashMap<>();
    ids.put("no id", new Object[] {"", INVALID_ARGUMENT, "MISSING_FIELD"});
    ids.put("a blank id", new Object[] {"   ", INVALID_ARGUMENT, "MISSING_FIELD"});
    ids.put("an unknown id", new Object[] {"ds-000000000000", NOT_FOUND, "DATASET_NOT_FOUND"});
    ids.put("an unknown name", new Object[] {"no-such-dataset", NOT_FOUND, "DATASET_NOT_FOUND"});
    ids.put("a path", new Object[] {"../../etc/passwd", NOT_FOUND, "DATASET_NOT_FOUND"});
    ids.put("a 1 MB id", new Object[] {"x".repeat(1 << 20), NOT_FOUND, "DATASET_NOT_FOUND"});
    ids.put("an id with a NUL", new Object[] {"ds-\u0000", NOT_FOUND, "DATASET_NOT_FOUND"});
    ids.forEach((name, v) -> {
      add(get, name, (Status.Code) v[1], (String) v[2], () -> d.apply(DatasetServiceGrpc.newBlockingStub(channel))
          .getDataset(GetDatasetRequest.newBuilder().setId((String) v[0]).build()));
      add(delete, name, (Status.Code) v[1], (String) v[2], () -> d.apply(DatasetServiceGrpc.newBlockingStub(channel))
          .deleteDataset(DeleteDatasetRequest.newBuilder().setId((String) v[0]).build()));
    });
    listCases(list, r -> d.apply(DatasetServiceGrpc.newBlockingStub(channel)).listDatasets(
        ListDatasetsRequest.newBuilder().setPageSize(r.pageSize).setPageToken(r.token).setFilter(r.filter).build()));
  }

  record ListArgs(int pageSize, String token, String filter) {}

  interface ListCall {
    Object call(ListArgs args);
  }

  private static void listCases(MethodDescriptor<?, ?> method, ListCall call) {
    add(method, "page_size -1", INVALID_ARGUMENT, "INVALID_PAGE_SIZE", () -> call.call(new ListArgs(-1, "", "")));
    add(method, "page_size -2^31", INVALID_ARGUMENT, "INVALID_PAGE_SIZE",
        () -> call.call(new ListArgs(Integer.MIN_VALUE, "", "")));
    add(method, "a page token not from the server", INVALID_ARGUMENT, "INVALID_PAGE_TOKEN",
        () -> call.call(new ListArgs(0, "abc", "")));
    add(method, "a negative page token", INVALID_ARGUMENT, "INVALID_PAGE_TOKEN",
        () -> call.call(new ListArgs(0, "-5", "")));
    add(method, "a page token past the end", INVALID_ARGUMENT, "INVALID_PAGE_TOKEN",
        () -> call.call(new ListArgs(0, "999999", "")));
    add(method, "a 300-character page token", INVALID_ARGUMENT, "INVALID_PAGE_TOKEN",
        () -> call.call(new ListArgs(0, "7".repeat(300), "")));
    add(method, "a filter without '='", INVALID_ARGUMENT, "INVALID_FILTER",
        () -> call.call(new ListArgs(0, "", "domain")));
    add(method, "a filter on an unknown key", INVALID_ARGUMENT, "INVALID_FILTER",
        () -> call.call(new ListArgs(0, "", "colour=blue")));
    add(method, "a 100 KB filter", INVALID_ARGUMENT, "INVALID_FILTER",
        () -> call.call(new ListArgs(0, "", "k".repeat(100_000) + "=v")));
  }

  // ---------------------------------------------------------------------------------------------
  // ModelService

  private static ModelSpec.Builder modelSpec() {
    return ModelSpec.newBuilder().setName("corpus-model").setDomain("nlp").setFormat("onnx");
  }

  private static void importCase(String name, Status.Code code, String reason, ModelSpec.Builder spec,
      Object... partsAndBytes) {
    add(ModelServiceGrpc.getImportModelMethod(), name, code, reason, () -> importModel(spec.build(), partsAndBytes));
  }

  private static void importModel() {
    var method = ModelServiceGrpc.getImportModelMethod();
    byte[] junk = utf8("not a model");
    add(method, "no message at all", INVALID_ARGUMENT, "SPEC_MISSING", () -> importMessages(List.of()));
    add(method, "a chunk before the spec", INVALID_ARGUMENT, "SPEC_MISSING",
        () -> importMessages(List.of(importChunk("", junk))));
    add(method, "the spec twice", INVALID_ARGUMENT, "SPEC_REPEATED", () -> importMessages(List.of(
        ImportModelRequest.newBuilder().setSpec(modelSpec()).build(),
        ImportModelRequest.newBuilder().setSpec(modelSpec()).build())));
    add(method, "a message with neither spec nor chunk", INVALID_ARGUMENT, "EMPTY_MESSAGE",
        () -> importMessages(List.of(ImportModelRequest.getDefaultInstance())));
    importCase("no name", INVALID_ARGUMENT, "INVALID_MODEL_NAME", modelSpec().setName(""), "", junk);
    importCase("an upper-case name", INVALID_ARGUMENT, "INVALID_MODEL_NAME", modelSpec().setName("Model"), "", junk);
    importCase("a 300-character name", INVALID_ARGUMENT, "INVALID_MODEL_NAME", modelSpec().setName("m".repeat(300)),
        "", junk);
    importCase("a name with a version", INVALID_ARGUMENT, "INVALID_MODEL_NAME", modelSpec().setName("m@2"), "", junk);
    importCase("no format", INVALID_ARGUMENT, "MISSING_FIELD", modelSpec().setFormat(""), "", junk);
    importCase("a format with punctuation", INVALID_ARGUMENT, "INVALID_FORMAT", modelSpec().setFormat("onnx!"), "",
        junk);
    importCase("a path as format", INVALID_ARGUMENT, "INVALID_FORMAT", modelSpec().setFormat("../onnx"), "", junk);
    importCase("a 300-character format", INVALID_ARGUMENT, "INVALID_FORMAT", modelSpec().setFormat("f".repeat(300)),
        "", junk);
    importCase("no domain", INVALID_ARGUMENT, "MISSING_FIELD", modelSpec().setDomain(""), "", junk);
    importCase("an unknown domain", INVALID_ARGUMENT, "UNKNOWN_DOMAIN", modelSpec().setDomain("audio"), "", junk);
    importCase("a 300-character part", INVALID_ARGUMENT, "INVALID_PART", modelSpec(), "", junk, "p".repeat(300),
        junk);
    importCase("a path as part", INVALID_ARGUMENT, "INVALID_PART", modelSpec(), "", junk, "../../x", junk);
    importCase("a part named manifest.json", INVALID_ARGUMENT, "INVALID_PART", modelSpec(), "", junk,
        "manifest.json", junk);
    importCase("a hidden part", INVALID_ARGUMENT, "INVALID_PART", modelSpec(), "", junk, ".env", junk);
    importCase("no model file", INVALID_ARGUMENT, "MISSING_MODEL_FILE", modelSpec(), "tokenizer.json", utf8("{}"));
    importCase("no chunk at all", INVALID_ARGUMENT, "MISSING_MODEL_FILE", modelSpec());
    importCase("an ONNX model without tokenizer.json", INVALID_ARGUMENT, "MODEL_FILE_MISSING", modelSpec(), "",
        junk);
    importCase("text as an ONNX model", INVALID_ARGUMENT, "INVALID_MODEL_FILE", modelSpec(), "", junk,
        "tokenizer.json", utf8("{}"));
    importCase("a TorchScript module while code imports are off", PERMISSION_DENIED, "CODE_IMPORTS_DISABLED",
        modelSpec().setDomain("vision").setFormat("torchscript"), "", junk);
    importCase("input.max_tokens 2e9", INVALID_ARGUMENT, "INVALID_INPUT_SPEC",
        modelSpec().setInput(InputSpec.newBuilder().setMaxTokens(2_000_000_000)), "", junk);
    importCase("input.max_tokens -1", INVALID_ARGUMENT, "INVALID_INPUT_SPEC",
        modelSpec().setInput(InputSpec.newBuilder().setMaxTokens(-1)), "", junk);
    importCase("input.context_length -5", INVALID_ARGUMENT, "INVALID_INPUT_SPEC",
        modelSpec().setInput(InputSpec.newBuilder().setContextLength(-5)), "", junk);
    importCase("input.horizon 2^31-1", INVALID_ARGUMENT, "INVALID_INPUT_SPEC",
        modelSpec().setInput(InputSpec.newBuilder().setHorizon(Integer.MAX_VALUE)), "", junk);
    importCase("input.shape [2^62, 4]", INVALID_ARGUMENT, "INVALID_INPUT_SPEC",
        modelSpec().setInput(InputSpec.newBuilder().addShape(1L << 62).addShape(4)), "", junk);
    importCase("input.shape [0]", INVALID_ARGUMENT, "INVALID_INPUT_SPEC",
        modelSpec().setInput(InputSpec.newBuilder().addShape(0)), "", junk);
    importCase("input.shape of 9 dimensions", INVALID_ARGUMENT, "INVALID_INPUT_SPEC",
        modelSpec().setInput(InputSpec.newBuilder().addAllShape(Collections.nCopies(9, 1L))), "", junk);
    importCase("input.mean NaN", INVALID_ARGUMENT, "INVALID_INPUT_SPEC",
        modelSpec().setInput(InputSpec.newBuilder().addMean(Float.NaN)), "", junk);
    importCase("input.std 0", INVALID_ARGUMENT, "INVALID_INPUT_SPEC",
        modelSpec().setInput(InputSpec.newBuilder().addStd(0)), "", junk);
    importCase("input.std of 100 channels", INVALID_ARGUMENT, "INVALID_INPUT_SPEC",
        modelSpec().setInput(InputSpec.newBuilder().addAllStd(Collections.nCopies(100, 1f))), "", junk);
    importCase("a property key with spaces", INVALID_ARGUMENT, "INVALID_PROPERTY",
        modelSpec().putProperties("max tokens", "8"), "", junk);
    importCase("a 5000-character property", INVALID_ARGUMENT, "INVALID_PROPERTY",
        modelSpec().putProperties("note", "n".repeat(5000)), "", junk);
    ModelSpec.Builder many = modelSpec();
    for (int i = 0; i < 200; i++) {
      many.putProperties("p" + i, "v");
    }
    importCase("200 properties", INVALID_ARGUMENT, "INVALID_PROPERTY", many, "", junk);
    Object[] parts = new Object[2 * 65];
    for (int i = 0; i < 65; i++) {
      parts[2 * i] = i == 0 ? "" : "part" + i;
      parts[2 * i + 1] = junk;
    }
    importCase("65 parts", RESOURCE_EXHAUSTED, "TOO_MANY_IMPORT_PARTS", modelSpec(), parts);
  }

  private static void modelLookups() {
    UnaryOperator<ModelServiceGrpc.ModelServiceBlockingStub> d = s -> s.withDeadlineAfter(30, TimeUnit.SECONDS);
    Map<String, Object[]> names = new LinkedHashMap<>();
    names.put("no name", new Object[] {"", INVALID_ARGUMENT, "MISSING_FIELD"});
    names.put("a blank name", new Object[] {"  ", INVALID_ARGUMENT, "MISSING_FIELD"});
    names.put("an upper-case name", new Object[] {"MiniLM", INVALID_ARGUMENT, "INVALID_MODEL_NAME"});
    names.put("a path", new Object[] {"../models", INVALID_ARGUMENT, "INVALID_MODEL_NAME"});
    names.put("a 1 MB name", new Object[] {"m".repeat(1 << 20), INVALID_ARGUMENT, "INVALID_MODEL_NAME"});
    names.put("version 0", new Object[] {"minilm-l6@0", INVALID_ARGUMENT, "INVALID_MODEL_NAME"});
    names.put("version -1", new Object[] {"minilm-l6@-1", INVALID_ARGUMENT, "INVALID_MODEL_NAME"});
    names.put("version abc", new Object[] {"minilm-l6@abc", INVALID_ARGUMENT, "INVALID_MODEL_NAME"});
    names.put("version 2^40", new Object[] {"minilm-l6@1099511627776", INVALID_ARGUMENT, "INVALID_MODEL_NAME"});
    names.put("two @", new Object[] {"minilm-l6@1@1", INVALID_ARGUMENT, "INVALID_MODEL_NAME"});
    names.put("an unknown model", new Object[] {"no-such-model", NOT_FOUND, "MODEL_NOT_FOUND"});
    names.put("an unknown version", new Object[] {"minilm-l6@999", NOT_FOUND, "MODEL_NOT_FOUND"});
    names.forEach((name, v) -> {
      String ref = (String) v[0];
      Status.Code code = (Status.Code) v[1];
      String reason = (String) v[2];
      add(ModelServiceGrpc.getGetModelMethod(), name, code, reason,
          () -> d.apply(ModelServiceGrpc.newBlockingStub(channel)).getModel(GetModelRequest.newBuilder().setName(ref).build()));
      add(ModelServiceGrpc.getDeleteModelMethod(), name, code, reason, () -> d.apply(ModelServiceGrpc
          .newBlockingStub(channel)).deleteModel(DeleteModelRequest.newBuilder().setName(ref).build()));
      add(ModelServiceGrpc.getExportModelMethod(), name, code, reason, () -> {
        var it = d.apply(ModelServiceGrpc.newBlockingStub(channel))
            .exportModel(ExportModelRequest.newBuilder().setName(ref).build());
        List<Object> got = new ArrayList<>();
        it.forEachRemaining(got::add);
        return got.size() + " messages";
      });
    });
    listCases(ModelServiceGrpc.getListModelsMethod(), r -> d.apply(ModelServiceGrpc.newBlockingStub(channel))
        .listModels(ListModelsRequest.newBuilder().setPageSize(r.pageSize).setPageToken(r.token)
            .setFilter(r.filter).build()));
  }

  // ---------------------------------------------------------------------------------------------
  // TrainingService

  private static TrainRequest.Builder trainRequest() {
    return TrainRequest.newBuilder().setBaseModel("minilm-l6").setStrategy("feature-extraction")
        .setOutputModel("corpus-out").setTrain(DataSource.newBuilder().setDataset(TEXTS))
        .setHyperparameters(Hyperparameters.newBuilder().setEpochs(1));
  }

  private static void trainCase(String name, Status.Code code, String reason, Consumer<TrainRequest.Builder> edit) {
    TrainRequest.Builder b = trainRequest();
    edit.accept(b);
    TrainRequest request = b.build();
    add(TrainingServiceGrpc.getTrainMethod(), name, code, reason, () -> TrainingServiceGrpc.newBlockingStub(channel)
        .withDeadlineAfter(60, TimeUnit.SECONDS).train(request));
  }

  private static void hyper(String name, Status.Code code, String reason, Consumer<Hyperparameters.Builder> edit) {
    trainCase(name, code, reason, b -> edit.accept(b.getHyperparametersBuilder()));
  }

  private static DataSource inline(Example... examples) {
    return DataSource.newBuilder().setExamples(InlineExamples.newBuilder().addAllExamples(List.of(examples))).build();
  }

  private static void train() {
    String h = "INVALID_HYPERPARAMETER";
    trainCase("no base_model", INVALID_ARGUMENT, "MISSING_FIELD", b -> b.setBaseModel(""));
    trainCase("no strategy", INVALID_ARGUMENT, "MISSING_FIELD", b -> b.setStrategy(""));
    trainCase("no output_model", INVALID_ARGUMENT, "MISSING_FIELD", b -> b.setOutputModel(""));
    trainCase("no train", INVALID_ARGUMENT, "MISSING_FIELD", TrainRequest.Builder::clearTrain);
    trainCase("a train source with nothing set", INVALID_ARGUMENT, "MISSING_FIELD",
        b -> b.setTrain(DataSource.getDefaultInstance()));
    trainCase("an empty train dataset name", INVALID_ARGUMENT, "MISSING_FIELD",
        b -> b.setTrain(DataSource.newBuilder().setDataset("")));
    trainCase("an upper-case output_model", INVALID_ARGUMENT, "INVALID_MODEL_NAME", b -> b.setOutputModel("Out"));
    trainCase("a 300-character output_model", INVALID_ARGUMENT, "INVALID_MODEL_NAME",
        b -> b.setOutputModel("o".repeat(300)));
    trainCase("an output_model with a version", INVALID_ARGUMENT, "INVALID_MODEL_NAME",
        b -> b.setOutputModel("out@3"));
    trainCase("a base model as output_model", INVALID_ARGUMENT, "NAME_TAKEN_BY_BASE",
        b -> b.setOutputModel("minilm-l6"));
    hyper("epochs -1", INVALID_ARGUMENT, h, x -> x.setEpochs(-1));
    hyper("epochs 100001", INVALID_ARGUMENT, h, x -> x.setEpochs(100_001));
    hyper("epochs 2^31-1", INVALID_ARGUMENT, h, x -> x.setEpochs(Integer.MAX_VALUE));
    hyper("batch_size -1", INVALID_ARGUMENT, h, x -> x.setBatchSize(-1));
    hyper("batch_size 65537", INVALID_ARGUMENT, h, x -> x.setBatchSize(65_537));
    hyper("batch_size 2^31-1", INVALID_ARGUMENT, h, x -> x.setBatchSize(Integer.MAX_VALUE));
    hyper("early_stopping_patience -1", INVALID_ARGUMENT, h, x -> x.setEarlyStoppingPatience(-1));
    hyper("early_stopping_patience 2^31-1", INVALID_ARGUMENT, h, x -> x.setEarlyStoppingPatience(Integer.MAX_VALUE));
    hyper("learning_rate NaN", INVALID_ARGUMENT, h, x -> x.setLearningRate(Float.NaN));
    hyper("learning_rate Infinity", INVALID_ARGUMENT, h, x -> x.setLearningRate(Float.POSITIVE_INFINITY));
    hyper("learning_rate -0.1", INVALID_ARGUMENT, h, x -> x.setLearningRate(-0.1f));
    hyper("learning_rate 11", INVALID_ARGUMENT, h, x -> x.setLearningRate(11));
    hyper("weight_decay NaN", INVALID_ARGUMENT, h, x -> x.setWeightDecay(Float.NaN));
    hyper("weight_decay -Infinity", INVALID_ARGUMENT, h, x -> x.setWeightDecay(Float.NEGATIVE_INFINITY));
    hyper("weight_decay -1", INVALID_ARGUMENT, h, x -> x.setWeightDecay(-1));
    hyper("weight_decay 2", INVALID_ARGUMENT, h, x -> x.setWeightDecay(2));
    hyper("65 extra keys", INVALID_ARGUMENT, h, x -> {
      for (int i = 0; i < 65; i++) {
        x.putExtra("k" + i, "v");
      }
    });
    hyper("an extra key with spaces", INVALID_ARGUMENT, h, x -> x.putExtra("my key", "v"));
    hyper("a 300-character extra key", INVALID_ARGUMENT, h, x -> x.putExtra("k".repeat(300), "v"));
    hyper("a 2000-character extra value", INVALID_ARGUMENT, h, x -> x.putExtra("hidden", "9".repeat(2000)));
    hyper("an unknown extra.layer", INVALID_ARGUMENT, "UNKNOWN_LAYER", x -> x.putExtra("layer", "encoder.99"));
    hyper("a 500-character extra.layer", INVALID_ARGUMENT, "UNKNOWN_LAYER", x -> x.putExtra("layer", "l".repeat(500)));
    hyper("resume_from that is not a job id", INVALID_ARGUMENT, "INVALID_JOB_ID",
        x -> x.putExtra("resume_from", "../../etc"));
    hyper("resume_from an unknown job", INVALID_ARGUMENT, "JOB_NOT_FOUND",
        x -> x.putExtra("resume_from", "job-000000000000"));
    trainCase("validation_split NaN", INVALID_ARGUMENT, "INVALID_VALIDATION_SPLIT",
        b -> b.setValidationSplit(Float.NaN));
    trainCase("validation_split Infinity", INVALID_ARGUMENT, "INVALID_VALIDATION_SPLIT",
        b -> b.setValidationSplit(Float.POSITIVE_INFINITY));
    trainCase("validation_split -0.1", INVALID_ARGUMENT, "INVALID_VALIDATION_SPLIT", b -> b.setValidationSplit(-0.1f));
    trainCase("validation_split 1", INVALID_ARGUMENT, "INVALID_VALIDATION_SPLIT", b -> b.setValidationSplit(1));
    trainCase("65 labels", INVALID_ARGUMENT, "INVALID_LABELS", b -> {
      for (int i = 0; i < 65; i++) {
        b.putLabels("l" + i, "v");
      }
    });
    trainCase("a label key with a slash", INVALID_ARGUMENT, "INVALID_LABELS", b -> b.putLabels("team/a", "v"));
    trainCase("a 300-character label value", INVALID_ARGUMENT, "INVALID_LABELS",
        b -> b.putLabels("team", "v".repeat(300)));
    trainCase("an unknown base model", NOT_FOUND, "MODEL_NOT_FOUND", b -> b.setBaseModel("no-such-base"));
    trainCase("a malformed base model", INVALID_ARGUMENT, "INVALID_MODEL_NAME", b -> b.setBaseModel("Base Model"));
    trainCase("a 1 MB base model", INVALID_ARGUMENT, "INVALID_MODEL_NAME", b -> b.setBaseModel("b".repeat(1 << 20)));
    trainCase("an unknown strategy", INVALID_ARGUMENT, "UNKNOWN_STRATEGY", b -> b.setStrategy("magic"));
    trainCase("a 300-character strategy", INVALID_ARGUMENT, "UNKNOWN_STRATEGY", b -> b.setStrategy("s".repeat(300)));
    trainCase("an unknown train dataset", NOT_FOUND, "DATASET_NOT_FOUND",
        b -> b.setTrain(DataSource.newBuilder().setDataset("ds-000000000000")));
    trainCase("an unknown validation dataset", NOT_FOUND, "DATASET_NOT_FOUND",
        b -> b.setValidation(DataSource.newBuilder().setDataset("no-such-dataset")));
    trainCase("an unknown task number", INVALID_ARGUMENT, "UNKNOWN_TASK", b -> b.setTaskValue(77));
    trainCase("regression for labels", INVALID_ARGUMENT, "TASK_MISMATCH", b -> b.setTask(Task.TASK_REGRESSION));
    trainCase("an unknown device pool", INVALID_ARGUMENT, "UNKNOWN_DEVICE_POOL", b -> b.setDevicePool("tpu-farm"));
    trainCase("inline: no examples", INVALID_ARGUMENT, "EMPTY_TRAINING_DATA", b -> b.setTrain(inline()));
    trainCase("inline: one class", INVALID_ARGUMENT, "TOO_FEW_CLASSES",
        b -> b.setTrain(inline(labelled(text("a"), "x"), labelled(text("b"), "x"))));
    trainCase("inline: a label then a value", INVALID_ARGUMENT, "MIXED_TARGETS",
        b -> b.setTrain(inline(labelled(text("a"), "x"), valued(text("b"), 1))));
    trainCase("inline: a NaN target", INVALID_ARGUMENT, "NON_FINITE_VALUE",
        b -> b.setTrain(inline(valued(text("a"), 1), valued(text("b"), Float.NaN))));
    trainCase("inline: an infinite target", INVALID_ARGUMENT, "NON_FINITE_VALUE",
        b -> b.setTrain(inline(valued(text("a"), Float.NEGATIVE_INFINITY))));
    trainCase("inline: a NaN in a forecast", INVALID_ARGUMENT, "NON_FINITE_VALUE",
        b -> b.setTrain(inline(forecast(text("a"), 1, Float.NaN))));
    trainCase("inline: an empty label", INVALID_ARGUMENT, "EMPTY_LABEL",
        b -> b.setTrain(inline(labelled(text("a"), ""))));
    trainCase("inline: a 2000-character label", INVALID_ARGUMENT, "INVALID_LABEL",
        b -> b.setTrain(inline(labelled(text("a"), "l".repeat(2000)))));
    trainCase("inline: no input", INVALID_ARGUMENT, "MISSING_INPUT", b -> b.setTrain(inline(Example.newBuilder()
        .setTarget(dev.graft.api.v1.Target.newBuilder().setLabel("x")).build())));
    trainCase("inline: no target", INVALID_ARGUMENT, "MISSING_TARGET",
        b -> b.setTrain(inline(Example.newBuilder().setInput(text("a")).build())));
    trainCase("inline: a NaN series", INVALID_ARGUMENT, "NON_FINITE_VALUE",
        b -> b.setTrain(inline(labelled(series(1, Float.NaN), "x"))));
    trainCase("inline: a tensor of shape [2^62, 4]", INVALID_ARGUMENT, "INVALID_TENSOR_SHAPE",
        b -> b.setTrain(inline(labelled(tensor(DataType.DATA_TYPE_UINT8, new byte[0], 1L << 62, 4), "x"))));
    trainCase("inline: bytes that are not an image", INVALID_ARGUMENT, "UNSUPPORTED_IMAGE_FORMAT",
        b -> b.setTrain(inline(labelled(image(utf8("MZ executable")), "x"))));
    trainCase("inline: an image for a text model", INVALID_ARGUMENT, "UNSUPPORTED_INPUT_KIND",
        b -> b.setTrain(inline(labelled(image(PNG), "x"), labelled(image(PNG), "y"))));
    trainCase("inline: an empty input", INVALID_ARGUMENT, "EMPTY_INPUT",
        b -> b.setTrain(inline(labelled(Input.getDefaultInstance(), "x"))));
    trainCase("a validation label unknown to training", INVALID_ARGUMENT, "UNKNOWN_LABEL",
        b -> b.setValidation(inline(labelled(text("a"), "positive"), labelled(text("b"), "neutral"))));
    trainCase("validation: a NaN target", INVALID_ARGUMENT, "NON_FINITE_VALUE",
        b -> b.setValidation(inline(valued(text("a"), Float.NaN))));
  }

  private static void jobs() {
    UnaryOperator<TrainingServiceGrpc.TrainingServiceBlockingStub> d = s -> s.withDeadlineAfter(30, TimeUnit.SECONDS);
    Map<String, Object[]> ids = new LinkedHashMap<>();
    ids.put("no id", new Object[] {"", INVALID_ARGUMENT, "MISSING_FIELD"});
    ids.put("a blank id", new Object[] {" \t", INVALID_ARGUMENT, "MISSING_FIELD"});
    ids.put("an unknown id", new Object[] {"job-000000000000", NOT_FOUND, "JOB_NOT_FOUND"});
    ids.put("a path", new Object[] {"../../jobs/x", NOT_FOUND, "JOB_NOT_FOUND"});
    ids.put("a 1 MB id", new Object[] {"j".repeat(1 << 20), NOT_FOUND, "JOB_NOT_FOUND"});
    ids.forEach((name, v) -> {
      String id = (String) v[0];
      Status.Code code = (Status.Code) v[1];
      String reason = (String) v[2];
      add(TrainingServiceGrpc.getGetJobMethod(), name, code, reason,
          () -> d.apply(TrainingServiceGrpc.newBlockingStub(channel)).getJob(GetJobRequest.newBuilder().setId(id).build()));
      add(TrainingServiceGrpc.getCancelJobMethod(), name, code, reason, () -> d.apply(TrainingServiceGrpc
          .newBlockingStub(channel)).cancelJob(CancelJobRequest.newBuilder().setId(id).build()));
      add(TrainingServiceGrpc.getWatchJobMethod(), name, code, reason, () -> {
        var it = d.apply(TrainingServiceGrpc.newBlockingStub(channel))
            .watchJob(WatchJobRequest.newBuilder().setId(id).build());
        return it.hasNext() ? it.next() : "no event";
      });
    });
    listCases(TrainingServiceGrpc.getListJobsMethod(), r -> d.apply(TrainingServiceGrpc.newBlockingStub(channel))
        .listJobs(ListJobsRequest.newBuilder().setPageSize(r.pageSize).setPageToken(r.token)
            .setFilter(r.filter).build()));
  }

  // ---------------------------------------------------------------------------------------------
  // InferenceService

  /** Bad inputs shared by Extract, Predict and their streams: (name, input, reason). */
  private static List<Object[]> badInputs() {
    List<Object[]> out = new ArrayList<>();
    out.add(new Object[] {"an empty input", Input.getDefaultInstance(), "EMPTY_INPUT"});
    out.add(new Object[] {"a tensor without dtype", tensor(DataType.DATA_TYPE_UNSPECIFIED, new byte[4], 2, 2),
        "MISSING_DTYPE"});
    out.add(new Object[] {"a tensor of shape [2^62, 4]", tensor(DataType.DATA_TYPE_UINT8, new byte[0], 1L << 62, 4),
        "INVALID_TENSOR_SHAPE"});
    out.add(new Object[] {"a tensor of shape [2^32, 2^32]",
        tensor(DataType.DATA_TYPE_UINT8, new byte[0], 1L << 32, 1L << 32), "INVALID_TENSOR_SHAPE"});
    out.add(new Object[] {"a tensor of no dimensions", tensor(DataType.DATA_TYPE_UINT8, new byte[1]),
        "INVALID_TENSOR_SHAPE"});
    out.add(new Object[] {"a tensor with a zero dimension", tensor(DataType.DATA_TYPE_UINT8, new byte[0], 0, 3),
        "INVALID_TENSOR_SHAPE"});
    out.add(new Object[] {"a tensor with a negative dimension", tensor(DataType.DATA_TYPE_UINT8, new byte[4], -2, -2),
        "INVALID_TENSOR_SHAPE"});
    out.add(new Object[] {"a tensor of 9 dimensions",
        tensor(DataType.DATA_TYPE_UINT8, new byte[1], 1, 1, 1, 1, 1, 1, 1, 1, 1), "INVALID_TENSOR_SHAPE"});
    out.add(new Object[] {"a tensor with too few bytes", tensor(DataType.DATA_TYPE_UINT8, new byte[3], 2, 2),
        "INVALID_TENSOR_DATA"});
    out.add(new Object[] {"a float32 tensor with too many bytes", tensor(DataType.DATA_TYPE_FLOAT32, new byte[20], 2, 2),
        "INVALID_TENSOR_DATA"});
    out.add(new Object[] {"a float32 tensor holding NaN", tensor(DataType.DATA_TYPE_FLOAT32, floats(1, Float.NaN), 2),
        "NON_FINITE_VALUE"});
    out.add(new Object[] {"a series holding NaN", series(1, 1, Float.NaN, 3), "NON_FINITE_VALUE"});
    out.add(new Object[] {"a series holding -Infinity", series(1, Float.NEGATIVE_INFINITY), "NON_FINITE_VALUE"});
    out.add(new Object[] {"a series of -1 channels", series(-1, 1, 2), "INVALID_SERIES"});
    out.add(new Object[] {"a series of no values", series(1), "INVALID_SERIES"});
    out.add(new Object[] {"a series that does not divide into channels", series(2, 1, 2, 3), "INVALID_SERIES"});
    out.add(new Object[] {"bytes that are not an image", image(utf8("<svg>not raster</svg>")), "UNSUPPORTED_IMAGE_FORMAT"});
    return out;
  }

  private static void inference() {
    var extract = InferenceServiceGrpc.getExtractMethod();
    var predict = InferenceServiceGrpc.getPredictMethod();
    UnaryOperator<InferenceServiceGrpc.InferenceServiceBlockingStub> d = s -> s.withDeadlineAfter(60, TimeUnit.SECONDS);
    java.util.function.Function<ExtractRequest.Builder, Call> ex = b -> {
      ExtractRequest r = b.build();
      return () -> d.apply(InferenceServiceGrpc.newBlockingStub(channel)).extract(r);
    };
    java.util.function.Function<PredictRequest.Builder, Call> pr = b -> {
      PredictRequest r = b.build();
      return () -> d.apply(InferenceServiceGrpc.newBlockingStub(channel)).predict(r);
    };
    java.util.function.Function<List<ExtractRequest>, Call> streamEx = rs -> () -> MalformedCorpusTest
        .<ExtractRequest, dev.graft.api.v1.ExtractResponse>bidi(
        o -> InferenceServiceGrpc.newStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS).streamExtract(o), rs);
    java.util.function.Function<List<PredictRequest>, Call> streamPr = rs -> () -> MalformedCorpusTest
        .<PredictRequest, dev.graft.api.v1.PredictResponse>bidi(
        o -> InferenceServiceGrpc.newStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS).streamPredict(o), rs);
    ExtractRequest.Builder base = ExtractRequest.newBuilder().setModel("minilm-l6").addInputs(text("hello"));
    PredictRequest.Builder trained = PredictRequest.newBuilder().setModel("minilm-l6").addInputs(text("hello"));

    for (Object[] bad : badInputs()) {
      add(extract, (String) bad[0], INVALID_ARGUMENT, (String) bad[2],
          ex.apply(base.clone().clearInputs().addInputs(text("fine")).addInputs((Input) bad[1])));
      add(predict, (String) bad[0], INVALID_ARGUMENT, (String) bad[2],
          pr.apply(trained.clone().clearInputs().addInputs((Input) bad[1])));
    }
    add(extract, "no model", INVALID_ARGUMENT, "MISSING_FIELD", ex.apply(base.clone().setModel("")));
    add(extract, "a malformed model", INVALID_ARGUMENT, "INVALID_MODEL_NAME", ex.apply(base.clone().setModel("A B")));
    add(extract, "a 1 MB model name", INVALID_ARGUMENT, "INVALID_MODEL_NAME",
        ex.apply(base.clone().setModel("m".repeat(1 << 20))));
    add(extract, "an unknown model", NOT_FOUND, "MODEL_NOT_FOUND", ex.apply(base.clone().setModel("no-such-model")));
    add(extract, "no inputs", INVALID_ARGUMENT, "EMPTY_INPUTS", ex.apply(base.clone().clearInputs()));
    ExtractRequest.Builder many = base.clone().clearInputs();
    for (int i = 0; i < 1025; i++) {
      many.addInputs(text("x"));
    }
    add(extract, "1025 inputs", INVALID_ARGUMENT, "TOO_MANY_INPUTS", ex.apply(many));
    add(extract, "an image for a text model", INVALID_ARGUMENT, "UNSUPPORTED_INPUT_KIND",
        ex.apply(base.clone().addInputs(image(PNG))));
    add(extract, "a series for a text model", INVALID_ARGUMENT, "UNSUPPORTED_INPUT_KIND",
        ex.apply(base.clone().addInputs(series(1, 1, 2))));
    add(extract, "an unknown layer", INVALID_ARGUMENT, "UNKNOWN_LAYER", ex.apply(base.clone().setLayer("encoder.99")));
    add(extract, "a 300-character layer", INVALID_ARGUMENT, "UNKNOWN_LAYER",
        ex.apply(base.clone().setLayer("l".repeat(300))));
    add(extract, "an unknown pooling number", INVALID_ARGUMENT, "UNKNOWN_POOLING",
        ex.apply(base.clone().setPoolingValue(9)));

    add(predict, "no model", INVALID_ARGUMENT, "MISSING_FIELD", pr.apply(trained.clone().setModel("")));
    add(predict, "a malformed model", INVALID_ARGUMENT, "INVALID_MODEL_NAME", pr.apply(trained.clone().setModel("@")));
    add(predict, "an unknown model", NOT_FOUND, "MODEL_NOT_FOUND", pr.apply(trained.clone().setModel("nope")));
    add(predict, "a base model", FAILED_PRECONDITION, "NOT_A_TRAINED_MODEL", pr.apply(trained.clone()));
    add(predict, "top_k -1", INVALID_ARGUMENT, "INVALID_TOP_K", pr.apply(trained.clone().setTopK(-1)));
    add(predict, "top_k -2^31", INVALID_ARGUMENT, "INVALID_TOP_K", pr.apply(trained.clone().setTopK(Integer.MIN_VALUE)));

    var sx = InferenceServiceGrpc.getStreamExtractMethod();
    var sp = InferenceServiceGrpc.getStreamPredictMethod();
    List<Object[]> streamed = badInputs().subList(0, 12);
    for (Object[] bad : streamed) {
      add(sx, "first request: " + bad[0], INVALID_ARGUMENT, (String) bad[2],
          streamEx.apply(List.of(base.clone().clearInputs().addInputs((Input) bad[1]).build())));
      add(sp, "first request: " + bad[0], INVALID_ARGUMENT, (String) bad[2],
          streamPr.apply(List.of(trained.clone().clearInputs().addInputs((Input) bad[1]).build())));
    }
    add(sx, "second request: no inputs", INVALID_ARGUMENT, "EMPTY_INPUTS",
        streamEx.apply(List.of(base.build(), base.clone().clearInputs().build())));
    add(sx, "an unknown model", NOT_FOUND, "MODEL_NOT_FOUND",
        streamEx.apply(List.of(base.clone().setModel("no-such-model").build())));
    add(sx, "a malformed model", INVALID_ARGUMENT, "INVALID_MODEL_NAME",
        streamEx.apply(List.of(base.clone().setModel("x y").build())));
    add(sx, "an unknown layer", INVALID_ARGUMENT, "UNKNOWN_LAYER",
        streamEx.apply(List.of(base.clone().setLayer("nope").build())));
    add(sp, "a base model", FAILED_PRECONDITION, "NOT_A_TRAINED_MODEL", streamPr.apply(List.of(trained.build())));
    add(sp, "top_k -1", INVALID_ARGUMENT, "INVALID_TOP_K", streamPr.apply(List.of(trained.clone().setTopK(-1).build())));
    add(sp, "an unknown model", NOT_FOUND, "MODEL_NOT_FOUND",
        streamPr.apply(List.of(trained.clone().setModel("no-such-model").build())));
  }

  // ---------------------------------------------------------------------------------------------
  // bytes that are not the request message, for every RPC

  private static void garbage() {
    Map<String, byte[]> variants = new LinkedHashMap<>();
    variants.put("bytes: a length running past the end", new byte[] {0x0a, (byte) 0xff, 0x01, 'x'});
    variants.put("bytes: a varint field cut off", new byte[] {0x08});
    variants.put("bytes: wire type 7", new byte[] {0x0f, 0x01});
    for (ServiceDescriptor service : List.of(DatasetServiceGrpc.getServiceDescriptor(),
        ModelServiceGrpc.getServiceDescriptor(), TrainingServiceGrpc.getServiceDescriptor(),
        InferenceServiceGrpc.getServiceDescriptor(), ServerServiceGrpc.getServiceDescriptor())) {
      for (MethodDescriptor<?, ?> m : service.getMethods()) {
        variants.forEach((name, bytes) -> add(m, name, INVALID_ARGUMENT, "MALFORMED_REQUEST", () -> raw(m, bytes)));
      }
    }
  }

  // last: the cases use the method descriptors above
  static {
    uploadCommon();
    jsonl();
    csv();
    seriesCsv();
    idxCases();
    examplesFormat();
    zipCases();
    datasetLookups();
    importModel();
    modelLookups();
    train();
    jobs();
    inference();
    garbage();
  }
}
