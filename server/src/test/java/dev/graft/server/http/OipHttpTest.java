package dev.graft.server.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.graft.api.v1.ExtractRequest;
import dev.graft.client.Inputs;
import dev.graft.server.TestServer;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Open Inference Protocol v2 over HTTP/JSON on a real port: health, metadata, infer with JSON
 * tensors and with the binary tensor extension, both equal to Extract; errors as OIP error bodies
 * with the HTTP status of their gRPC code.
 */
class OipHttpTest {
  private static final List<String> SENTENCES = List.of("a lovely evening", "cold food, rude staff");
  @TempDir static Path store;
  static TestServer server;
  static List<float[]> expected;
  final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.onPort(store);
    expected = server.client().extractVectors(ExtractRequest.newBuilder().setModel("minilm-l6")
        .addAllInputs(Inputs.texts(SENTENCES)).build());
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  void healthAndMetadata() throws Exception {
    assertEquals(200, get("/v2/health/live").statusCode());
    assertEquals(200, get("/v2/health/ready").statusCode());
    assertEquals("graft", json(get("/v2")).get("name").getAsString());
    HttpResponse<byte[]> model = get("/v2/models/minilm-l6/versions/1");
    assertEquals(200, model.statusCode());
    JsonObject metadata = json(model);
    assertEquals("text", metadata.getAsJsonArray("inputs").get(0).getAsJsonObject().get("name").getAsString());
    assertEquals(384, metadata.getAsJsonArray("outputs").get(0).getAsJsonObject().getAsJsonArray("shape").get(1)
        .getAsInt());
    assertEquals(200, get("/v2/models/minilm-l6/ready").statusCode());
    assertEquals(404, get("/v2/models/no-such-model/ready").statusCode());
  }

  @Test
  void jsonInferEqualsExtract() throws Exception {
    String body = "{\"id\":\"r1\",\"inputs\":[{\"name\":\"text\",\"datatype\":\"BYTES\",\"shape\":[2,1],"
        + "\"data\":[[\"" + SENTENCES.get(0) + "\"],[\"" + SENTENCES.get(1) + "\"]]}]}";
    HttpResponse<byte[]> r = post("/v2/models/minilm-l6/infer", body.getBytes(StandardCharsets.UTF_8), null);
    assertEquals(200, r.statusCode(), new String(r.body(), StandardCharsets.UTF_8));
    JsonObject out = json(r);
    assertEquals("r1", out.get("id").getAsString());
    assertEquals("1", out.get("model_version").getAsString());
    JsonObject features = out.getAsJsonArray("outputs").get(0).getAsJsonObject();
    assertEquals("features", features.get("name").getAsString());
    JsonArray data = features.getAsJsonArray("data");
    assertEquals(2 * 384, data.size());
    for (int i = 0; i < data.size(); i++) {
      assertEquals(expected.get(i / 384)[i % 384], data.get(i).getAsFloat(), 1e-6);
    }
  }

  @Test
  void binaryTensorsInAndOutEqualExtract() throws Exception {
    ByteArrayOutputStream texts = new ByteArrayOutputStream();
    for (String s : SENTENCES) {
      byte[] b = s.getBytes(StandardCharsets.UTF_8);
      texts.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(b.length).array());
      texts.write(b);
    }
    byte[] head = ("{\"inputs\":[{\"name\":\"text\",\"datatype\":\"BYTES\",\"shape\":[2],\"parameters\":"
        + "{\"binary_data_size\":" + texts.size() + "}}],\"outputs\":[{\"name\":\"features\",\"parameters\":"
        + "{\"binary_data\":true}}]}").getBytes(StandardCharsets.UTF_8);
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    body.write(head);
    body.write(texts.toByteArray());
    HttpResponse<byte[]> r = post("/v2/models/minilm-l6/infer", body.toByteArray(), head.length);
    assertEquals(200, r.statusCode(), new String(r.body(), StandardCharsets.UTF_8));
    int jsonLength = Integer.parseInt(r.headers().firstValue("Inference-Header-Content-Length").orElseThrow());
    JsonObject out = JsonParser.parseString(new String(r.body(), 0, jsonLength, StandardCharsets.UTF_8))
        .getAsJsonObject();
    JsonObject features = out.getAsJsonArray("outputs").get(0).getAsJsonObject();
    assertEquals(2 * 384 * 4, features.getAsJsonObject("parameters").get("binary_data_size").getAsInt());
    ByteBuffer floats = ByteBuffer.wrap(r.body(), jsonLength, r.body().length - jsonLength)
        .order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < 2 * 384; i++) {
      assertEquals(expected.get(i / 384)[i % 384], floats.getFloat(), 1e-6);
    }
  }

  @Test
  void badRequestsGetAnOipErrorWithReason() throws Exception {
    assertError(post("/v2/models/minilm-l6/infer", "{not json".getBytes(StandardCharsets.UTF_8), null), 400,
        "INVALID_JSON");
    assertError(post("/v2/models/minilm-l6/infer", ("{\"inputs\":[{\"name\":\"text\",\"datatype\":\"BYTES\","
        + "\"shape\":[3],\"data\":[\"a\"]}]}").getBytes(StandardCharsets.UTF_8), null), 400, "SHAPE_DATA_MISMATCH");
    assertError(post("/v2/models/minilm-l6/infer", ("{\"inputs\":[{\"name\":\"text\",\"datatype\":\"FP32\","
        + "\"shape\":[1],\"data\":[1.5]}]}").getBytes(StandardCharsets.UTF_8), null), 400, "WRONG_DATATYPE");
    assertError(post("/v2/models/minilm-l6/infer", ("{\"inputs\":[{\"name\":\"text\",\"datatype\":\"BYTES\","
        + "\"shape\":[1],\"parameters\":{\"binary_data_size\":99}}]}").getBytes(StandardCharsets.UTF_8), null), 400,
        "BINARY_DATA_MISMATCH");
    assertError(post("/v2/models/no-such-model/infer", "{\"inputs\":[]}".getBytes(StandardCharsets.UTF_8), null),
        404, "MODEL_NOT_FOUND");
    assertEquals(200, get("/v2/health/live").statusCode(), "still serving");
  }

  private static void assertError(HttpResponse<byte[]> r, int status, String reason) {
    String text = new String(r.body(), StandardCharsets.UTF_8);
    assertEquals(status, r.statusCode(), text);
    JsonObject body = JsonParser.parseString(text).getAsJsonObject();
    assertEquals(reason, body.get("reason").getAsString(), text);
    assertTrue(body.get("error").getAsString().length() > 5, text);
  }

  private HttpResponse<byte[]> get(String path) throws Exception {
    return http.send(HttpRequest.newBuilder(uri(path)).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  private HttpResponse<byte[]> post(String path, byte[] body, Integer jsonLength) throws Exception {
    HttpRequest.Builder r = HttpRequest.newBuilder(uri(path)).POST(HttpRequest.BodyPublishers.ofByteArray(body));
    if (jsonLength != null) {
      r.header("Inference-Header-Content-Length", jsonLength.toString()).header("Content-Type",
          "application/octet-stream");
    } else {
      r.header("Content-Type", "application/json");
    }
    return http.send(r.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  private static URI uri(String path) {
    return URI.create("http://127.0.0.1:" + server.httpPort() + path);
  }

  private static JsonObject json(HttpResponse<byte[]> r) {
    return JsonParser.parseString(new String(r.body(), StandardCharsets.UTF_8)).getAsJsonObject();
  }
}
