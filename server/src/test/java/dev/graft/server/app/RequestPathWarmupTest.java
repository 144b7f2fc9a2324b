package dev.graft.server.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.api.v1.ModelKind;
import dev.graft.server.TestServer;
import dev.graft.server.telemetry.Scrape;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Before a replica says SERVING, every built-in base model answered Extract calls through the
 * server's own services (request parsing, validation, the inferencer), and those calls count as
 * nobody's RPCs.
 */
class RequestPathWarmupTest {
  @TempDir Path dir;

  @Test
  void builtinsAnsweredThroughTheRequestPathBeforeServingWithoutCountingAsRpcs() throws Exception {
    try (TestServer server = TestServer.onPort(dir.resolve("store"))) {
      Scrape scrape = Scrape.of(server.httpPort());
      List<String> builtins = server.client().listModels().stream()
          .filter(m -> m.getKind() == ModelKind.MODEL_KIND_BASE).map(m -> m.getName() + "@" + m.getVersion())
          .toList();
      assertTrue(builtins.contains("minilm-l6@1"), builtins.toString());
      for (String model : builtins) {
        assertEquals(3, scrape.value("graft_inference_inputs_total", "model", model, "kind", "extract"), model);
      }
      assertEquals(0, scrape.value("graft_rpc_duration_seconds", "service", "graft.v1.InferenceService",
          "method", "Extract"), "warm-up calls are not client RPCs");
    }
  }
}
