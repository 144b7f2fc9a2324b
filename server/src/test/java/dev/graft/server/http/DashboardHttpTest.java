package dev.graft.server.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonParser;
import dev.graft.server.TestServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard's files at {@code /} (built into target/classes/dashboard by the Maven build) on a
 * server with authentication on: open, with a same-origin Content-Security-Policy; no file outside
 * the dashboard; and the routes beside it unchanged (the API still asks for a token).
 */
class DashboardHttpTest {
  @TempDir static Path dir;
  static TestServer server;
  final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  static void start() throws Exception {
    Path tokens = dir.resolve("tokens");
    Files.writeString(tokens, "alice reader 0000000000000000000000000000000000000000000000000000000000000000\n");
    server = TestServer.onPort(dir.resolve("store"), "auth-tokens-file", tokens.toString());
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  void servesThePageAndItsFilesOpenly() throws Exception {
    HttpResponse<String> page = get("/");
    assertEquals(200, page.statusCode(), page.body());
    assertTrue(page.headers().firstValue("Content-Type").orElseThrow().startsWith("text/html"));
    assertTrue(page.body().contains("src=\"/dashboard/app.js\""), page.body());
    String csp = page.headers().firstValue("Content-Security-Policy").orElseThrow();
    assertTrue(csp.contains("default-src 'self'") && csp.contains("script-src 'self'"), csp);
    HttpResponse<String> script = get("/dashboard/app.js");
    assertEquals(200, script.statusCode());
    assertTrue(script.headers().firstValue("Content-Type").orElseThrow().startsWith("text/javascript"));
    assertTrue(script.body().length() > 1000);
    assertEquals(200, get("/dashboard/app.css").statusCode());
  }

  @Test
  void nothingButDashboardFiles() throws Exception {
    for (String path : new String[] {"/dashboard/nope.js", "/dashboard/..%2Fdev%2Fgraft", "/dashboard/.hidden"}) {
      HttpResponse<String> r = get(path);
      assertEquals(404, r.statusCode(), path);
      assertEquals("NOT_FOUND", JsonParser.parseString(r.body()).getAsJsonObject().get("reason").getAsString());
    }
  }

  @Test
  void theOtherRoutesAreUnchanged() throws Exception {
    assertEquals(200, get("/healthz").statusCode());
    assertEquals(401, get("/metrics").statusCode());
    HttpResponse<String> api = http.send(HttpRequest.newBuilder(uri("/graft.v1.ServerService/GetServerInfo"))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(401, api.statusCode(), api.body());
    assertEquals(404, get("/no/such/path").statusCode());
  }

  private HttpResponse<String> get(String path) throws Exception {
    return http.send(HttpRequest.newBuilder(uri(path)).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  private static URI uri(String path) {
    return URI.create("http://127.0.0.1:" + server.httpPort() + path);
  }
}
