package dev.graft.server.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.graft.api.v1.GetModelRequest;
import dev.graft.api.v1.Model;
import dev.graft.server.TestServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Graft's gRPC API over HTTP on a real port with authentication on: JSON (unary, an upload as the
 * request body, a server stream as server-sent events) and gRPC-Web, all through the gRPC
 * services' own auth, roles and errors.
 */
class ApiHttpTest {
  private static final String READER = "reader-token-0123456789";
  private static final String TRAINER = "trainer-token-0123456789";
  @TempDir static Path dir;
  static TestServer server;
  final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  static void start() throws Exception {
    Path tokens = dir.resolve("tokens");
    Files.writeString(tokens, "alice reader " + sha256(READER) + "\nbob trainer " + sha256(TRAINER) + "\n");
    server = TestServer.onPort(dir.resolve("store"), "auth-tokens-file", tokens.toString());
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  void jsonCallsUseTheCallersTokenAndRole() throws Exception {
    HttpResponse<String> anonymous = post("/graft.v1.ModelService/GetModel", "{\"name\": \"minilm-l6\"}", null);
    assertEquals(401, anonymous.statusCode(), anonymous.body());
    assertEquals("UNAUTHENTICATED", json(anonymous).get("code").getAsString());
    HttpResponse<String> model = post("/graft.v1.ModelService/GetModel", "{\"name\": \"minilm-l6\"}", READER);
    assertEquals(200, model.statusCode(), model.body());
    assertEquals(384, json(model).get("dimension").getAsInt());
    HttpResponse<String> info = post("/graft.v1.ServerService/GetServerInfo", "{}", READER);
    assertEquals("alice", json(info).get("caller").getAsString(), info.body());
    assertEquals("reader", json(info).get("callerRole").getAsString());
    HttpResponse<String> denied = post("/graft.v1.ModelService/DeleteModel", "{\"name\": \"minilm-l6\"}", READER);
    assertEquals(403, denied.statusCode(), denied.body());
    HttpResponse<String> missing = post("/graft.v1.ModelService/GetModel", "{\"name\": \"nope\"}", READER);
    assertEquals(404, missing.statusCode());
    assertEquals("MODEL_NOT_FOUND", json(missing).get("reason").getAsString());
    HttpResponse<String> typo = post("/graft.v1.ModelService/GetModel", "{\"nmae\": \"x\"}", READER);
    assertEquals(400, typo.statusCode());
    assertEquals("INVALID_JSON", json(typo).get("reason").getAsString());
    HttpResponse<String> unknown = post("/graft.v1.ModelService/Frobnicate", "{}", READER);
    assertEquals(501, unknown.statusCode());
    assertEquals("UNKNOWN_METHOD", json(unknown).get("reason").getAsString());
  }

  @Test
  void unaryCallsAreAnsweredAtOnce() throws Exception {
    // The bridge once waited for the call's onReady before sending the request, up to 1 s, and
    // most calls took that full second (the dashboard's pages took 1.5 to 2.5 s).
    long slowest = 0;
    for (int i = 0; i < 10; i++) {
      long t0 = System.nanoTime();
      HttpResponse<String> info = post("/graft.v1.ServerService/GetServerInfo", "{}", READER);
      slowest = Math.max(slowest, (System.nanoTime() - t0) / 1_000_000);
      assertEquals(200, info.statusCode(), info.body());
    }
    assertTrue(slowest < 800, "the slowest of 10 GetServerInfo calls over HTTP took " + slowest + " ms");
  }

  @Test
  void uploadThenTrainThenWatchAsServerSentEvents() throws Exception {
    String dataset = String.join("\n", List.of("{\"text\": \"I loved it\", \"label\": \"positive\"}",
        "{\"text\": \"I hated it\", \"label\": \"negative\"}", "{\"text\": \"wonderful\", \"label\": \"positive\"}",
        "{\"text\": \"awful\", \"label\": \"negative\"}")) + "\n";
    HttpResponse<String> uploaded = http.send(HttpRequest.newBuilder(uri("/graft.v1.DatasetService/UploadDataset"))
        .header("Authorization", "Bearer " + TRAINER).header("Content-Type", "application/octet-stream")
        .header("Graft-Spec", "{\"name\": \"tiny\", \"domain\": \"nlp\", \"format\": \"DATASET_FORMAT_JSONL\"}")
        .POST(HttpRequest.BodyPublishers.ofString(dataset)).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, uploaded.statusCode(), uploaded.body());
    assertEquals(4, json(uploaded).get("examples").getAsInt());
    HttpResponse<String> job = post("/graft.v1.TrainingService/Train", "{\"baseModel\": \"minilm-l6\", \"strategy\":"
        + " \"feature-extraction\", \"outputModel\": \"tiny\", \"train\": {\"dataset\": \""
        + json(uploaded).get("id").getAsString() + "\"}, \"hyperparameters\": {\"epochs\": 40}}", TRAINER);
    assertEquals(200, job.statusCode(), job.body());
    HttpResponse<String> events = http.send(HttpRequest.newBuilder(uri("/graft.v1.TrainingService/WatchJob"))
        .header("Authorization", "Bearer " + READER).header("Accept", "text/event-stream")
        .POST(HttpRequest.BodyPublishers.ofString("{\"id\": \"" + json(job).get("id").getAsString() + "\"}")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, events.statusCode(), events.body());
    assertTrue(events.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
    List<JsonObject> data = new ArrayList<>();
    for (String line : events.body().split("\n")) {
      if (line.startsWith("data: ")) {
        data.add(JsonParser.parseString(line.substring(6)).getAsJsonObject());
      }
    }
    assertTrue(data.size() >= 1, events.body());
    assertEquals("JOB_STATE_SUCCEEDED", data.get(data.size() - 1).getAsJsonObject("job").get("state").getAsString());
  }

  @Test
  void webPagesOfAnotherOriginCannotCallButTheDashboardsOwnOriginCan() throws Exception {
    String body = "{\"name\": \"minilm-l6\"}";
    HttpResponse<String> forged = http.send(HttpRequest.newBuilder(uri("/graft.v1.ModelService/DeleteModel"))
        .header("Content-Type", "text/plain").header("Origin", "http://evil.example")
        .header("Authorization", "Bearer " + TRAINER).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(403, forged.statusCode(), forged.body());
    assertEquals("CROSS_ORIGIN", json(forged).get("reason").getAsString());
    HttpResponse<String> own = http.send(HttpRequest.newBuilder(uri("/graft.v1.ModelService/GetModel"))
        .header("Content-Type", "application/json").header("Origin", "http://127.0.0.1:" + server.httpPort())
        .header("Authorization", "Bearer " + READER).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, own.statusCode(), own.body());
  }

  @Test
  void grpcWebCallsAnswerFramesAndATrailer() throws Exception {
    byte[] request = ApiRoutes.webFrame(GetModelRequest.newBuilder().setName("minilm-l6").build().toByteArray());
    HttpResponse<byte[]> ok = web("/graft.v1.ModelService/GetModel", request, READER);
    assertEquals(200, ok.statusCode());
    List<byte[]> frames = frames(ok.body());
    assertEquals(2, frames.size(), "one message, then the trailers");
    assertEquals(384, Model.parseFrom(frames.get(0)).getDimension());
    assertTrue(new String(frames.get(1), StandardCharsets.US_ASCII).startsWith("grpc-status:0\r\n"));
    HttpResponse<byte[]> missing = web("/graft.v1.ModelService/GetModel",
        ApiRoutes.webFrame(GetModelRequest.newBuilder().setName("nope").build().toByteArray()), READER);
    List<byte[]> trailer = frames(missing.body());
    assertEquals(1, trailer.size());
    String text = new String(trailer.get(0), StandardCharsets.US_ASCII);
    assertTrue(text.startsWith("grpc-status:5\r\n") && text.contains("grpc-status-details-bin:"), text);
  }

  /** The frames' payloads, data and trailer alike, in order. */
  private static List<byte[]> frames(byte[] body) {
    List<byte[]> out = new ArrayList<>();
    ByteBuffer in = ByteBuffer.wrap(body);
    while (in.remaining() >= 5) {
      in.get();
      byte[] payload = new byte[in.getInt()];
      in.get(payload);
      out.add(payload);
    }
    assertEquals(0, in.remaining());
    return out;
  }

  private HttpResponse<byte[]> web(String path, byte[] body, String token) throws Exception {
    return http.send(HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/grpc-web+proto")
        .header("Authorization", "Bearer " + token).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
        HttpResponse.BodyHandlers.ofByteArray());
  }

  private HttpResponse<String> post(String path, String body, String token) throws Exception {
    HttpRequest.Builder r = HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body));
    if (token != null) {
      r.header("Authorization", "Bearer " + token);
    }
    return http.send(r.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static URI uri(String path) {
    return URI.create("http://127.0.0.1:" + server.httpPort() + path);
  }

  private static JsonObject json(HttpResponse<String> r) {
    return JsonParser.parseString(r.body()).getAsJsonObject();
  }

  private static String sha256(String token) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
  }
}
