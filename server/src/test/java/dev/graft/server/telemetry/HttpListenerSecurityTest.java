package dev.graft.server.telemetry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.client.GraftClient;
import dev.graft.client.GraftException;
import dev.graft.server.TestServer;
import io.grpc.Status;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * With authentication on, {@code /metrics} needs a token of role reader or more, the probes stay
 * open, and refusals under the rate limit are counted by reason.
 */
class HttpListenerSecurityTest {
  private static final String READER = "graft_metrics-reader";

  @TempDir
  static Path dir;
  private static TestServer server;

  @BeforeAll
  static void start() throws Exception {
    Path tokens = dir.resolve("tokens");
    Files.writeString(tokens, "scraper reader " + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
        .digest(READER.getBytes(StandardCharsets.UTF_8))) + "\n");
    server = TestServer.onPort(dir.resolve("store"), "auth-tokens-file", tokens.toString(),
        "rate-limit-per-second", "1", "rate-limit-burst", "2");
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  void metricsNeedAReaderTokenAndProbesStayOpen() throws Exception {
    HttpResponse<String> anonymous = get("/metrics", null);
    assertEquals(401, anonymous.statusCode());
    assertEquals("Bearer", anonymous.headers().firstValue("WWW-Authenticate").orElse(""));
    assertTrue(anonymous.body().contains("UNAUTHENTICATED"), anonymous.body());
    assertEquals(401, get("/metrics", "graft_unknown").statusCode());
    assertEquals(200, get("/metrics", READER).statusCode());
    assertEquals(200, get("/healthz", null).statusCode());
    assertEquals(200, get("/readyz", null).statusCode());
  }

  @Test
  void rateLimitedCallsAreCountedAsRefusalsByReason() throws Exception {
    try (GraftClient reader = GraftClient.builder("localhost:" + server.port()).bearerToken(READER).maxAttempts(1)
        .build()) {
      int limited = 0;
      for (int i = 0; i < 6; i++) {
        try {
          reader.listModels();
        } catch (GraftException e) {
          assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.code());
          limited++;
        }
      }
      assertTrue(limited >= 1, "a burst of 2 at 1/s refuses some of 6 calls");
      HttpResponse<String> metrics = get("/metrics", READER);
      assertTrue(metrics.body().contains("graft_refusals_total{reason=\"RATE_LIMITED\"} " + limited + ".0")
          || metrics.body().contains("graft_refusals_total{reason=\"RATE_LIMITED\"} " + limited), metrics.body()
          .lines().filter(l -> l.startsWith("graft_refusals")).toList().toString());
    }
  }

  private static HttpResponse<String> get(String path, String token) throws IOException, InterruptedException {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://localhost:" + server.httpPort() + path));
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    return HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofString());
  }
}
