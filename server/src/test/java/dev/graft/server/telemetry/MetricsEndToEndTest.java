package dev.graft.server.telemetry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.api.v1.DataSource;
import dev.graft.api.v1.ExtractRequest;
import dev.graft.api.v1.Hyperparameters;
import dev.graft.api.v1.InlineExamples;
import dev.graft.api.v1.Job;
import dev.graft.api.v1.JobState;
import dev.graft.api.v1.TrainRequest;
import dev.graft.client.GraftException;
import dev.graft.client.Inputs;
import dev.graft.server.TestData;
import dev.graft.server.TestServer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /metrics} of a real server on real ports, parsed as Prometheus parses it, moving as calls
 * are made: RPC counts and latency, inference inputs, batches and slot waits, jobs, pools, the
 * store, JVM and process memory; and the probes.
 */
class MetricsEndToEndTest {
  private static final String INFERENCE = "graft.v1.InferenceService";

  @TempDir
  static Path dir;
  private static TestServer server;

  @BeforeAll
  static void start() throws IOException {
    server = TestServer.onPort(dir.resolve("store"));
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  void rpcCountsLatencyAndInferenceMoveWithEachCall() throws Exception {
    Scrape before = Scrape.of(server.httpPort());
    for (int i = 0; i < 3; i++) {
      server.client().extract(ExtractRequest.newBuilder().setModel("minilm-l6")
          .addAllInputs(Inputs.texts(List.of("a good day", "a bad day"))).build());
    }
    assertThrows(GraftException.class, () -> server.client().extract(ExtractRequest.newBuilder()
        .setModel("no-such-model").addInputs(Inputs.text("x")).build()));
    Scrape after = Scrape.of(server.httpPort());

    assertEquals(3, delta(before, after, "graft_rpc_requests_total", "service", INFERENCE, "method", "Extract", "code", "OK"));
    assertEquals(1, delta(before, after, "graft_rpc_requests_total", "service", INFERENCE, "method", "Extract",
        "code", "NOT_FOUND"));
    assertEquals(4, delta(before, after, "graft_rpc_duration_seconds", "service", INFERENCE, "method", "Extract"));
    assertTrue(after.histogramSum("graft_rpc_duration_seconds", "service", INFERENCE, "method", "Extract") > 0);
    assertEquals(6, delta(before, after, "graft_inference_inputs_total", "model", "minilm-l6@1", "kind", "extract"));
    assertEquals(3, delta(before, after, "graft_inference_duration_seconds", "model", "minilm-l6@1", "kind", "extract"));
    assertTrue(delta(before, after, "graft_inference_batch_size") >= 1, "each engine call is a batch");
    assertTrue(delta(before, after, "graft_inference_slot_wait_seconds", "pool", "default") >= 1);
  }

  @Test
  void poolsStoreModelsAndProcessMemoryAreGauges() throws Exception {
    server.client().extract(ExtractRequest.newBuilder().setModel("minilm-l6").addInputs(Inputs.text("hello")).build());
    Scrape s = Scrape.of(server.httpPort());
    assertEquals(2, s.value("graft_pool_slots", "pool", "default", "kind", "inference"));
    assertEquals(1, s.value("graft_pool_slots", "pool", "default", "kind", "training"));
    assertEquals(0, s.value("graft_pool_slots_busy", "pool", "default", "kind", "training"));
    assertEquals(64, s.value("graft_pool_queue_capacity", "pool", "default"));
    assertEquals(0, s.value("graft_pool_queue_depth", "pool", "default"));
    assertTrue(s.value("graft_store_models") >= 2, "the built-in models");
    assertTrue(s.value("graft_store_bytes") > 1_000_000, "the built-ins' files");
    assertTrue(s.value("graft_store_free_bytes") > 0);
    assertTrue(s.value("graft_models_loaded") >= 1);
    assertTrue(s.value("graft_models_loaded_bytes") > 1_000_000, "MiniLM is ~90 MB stored");
    assertTrue(s.value("graft_model_memory_budget_bytes") >= 1L << 30);
    var info = server.client().serverInfo();
    var minilm = info.getLoadedModelsList().stream().filter(m -> m.getModel().equals("minilm-l6@1")).findFirst()
        .orElseThrow(() -> new AssertionError("minilm-l6@1 not among " + info.getLoadedModelsList()));
    assertTrue(minilm.getEstimatedBytes() > 1_000_000);
    assertEquals("cpu", minilm.getDevice());
    assertEquals((long) s.value("graft_model_memory_budget_bytes"), info.getModelMemoryBudgetBytes());
    assertTrue(s.value("process_resident_memory_bytes") > 100e6, "native memory is visible");
    assertTrue(s.value("jvm_memory_used_bytes", "area", "heap") > 0);
    assertTrue(s.value("jvm_threads_current") > 0);
  }

  @Test
  void jobsAreCountedTimedAndStepped() throws Exception {
    Scrape before = Scrape.of(server.httpPort());
    Job job = server.client().train(TrainRequest.newBuilder().setBaseModel("minilm-l6")
        .setStrategy("feature-extraction").setOutputModel("metrics-job")
        .setTrain(DataSource.newBuilder().setExamples(InlineExamples.newBuilder().addAllExamples(TestData.tinySentiment())))
        .setValidationSplit(0.25f).setHyperparameters(Hyperparameters.newBuilder().setEpochs(3)).build());
    Job done = server.client().awaitJob(job.getId(), Duration.ofMinutes(3), e -> {});
    assertEquals(JobState.JOB_STATE_SUCCEEDED, done.getState(), done.getError().getMessage());
    Scrape after = Scrape.of(server.httpPort());
    assertEquals(1, delta(before, after, "graft_jobs", "state", "SUCCEEDED"));
    assertEquals(1, delta(before, after, "graft_job_duration_seconds", "strategy", "feature-extraction",
        "state", "SUCCEEDED"));
    assertTrue(delta(before, after, "graft_training_steps_total", "strategy", "feature-extraction") >= 3);
    assertEquals(0, after.value("graft_job_loss", "strategy", "feature-extraction"), "no job runs now, so no loss");
  }

  @Test
  void noLabelTakesAnUnboundedValue() throws Exception {
    server.client().listModels();
    Scrape s = Scrape.of(server.httpPort());
    List<String> values = s.labelValues();
    assertFalse(values.isEmpty());
    assertTrue(values.size() < 2000, values.size() + " series");
    for (String v : values) {
      assertFalse(v.startsWith("job_id=") || v.contains("job-"), "job ids only label running jobs' loss: " + v);
      assertTrue(v.length() < 120, "label value too long: " + v);
    }
  }

  @Test
  void probesAnswerAndUnknownPathsAreJson404() throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    HttpResponse<String> live = get(http, "/healthz");
    assertEquals(200, live.statusCode());
    assertEquals(200, get(http, "/readyz").statusCode(), "SERVING once warmed up");
    HttpResponse<String> missing = get(http, "/nope");
    assertEquals(404, missing.statusCode());
    assertTrue(missing.body().contains("\"reason\":\"NOT_FOUND\""), missing.body());
    HttpResponse<String> text = get(http, "/metrics");
    assertTrue(text.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"), text.headers().toString());
    assertTrue(text.body().contains("# TYPE graft_rpc_requests_total counter"), "Prometheus text by default");
  }

  @Test
  void anHttpPortInUseStopsStartUpWithAClearError() throws Exception {
    try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      var e = assertThrows(dev.graft.server.app.ConfigException.class, () -> TestServer.onPort(dir.resolve("other"),
          "http-port", Integer.toString(taken.getLocalPort())));
      assertTrue(e.getMessage().contains("cannot listen for HTTP on 127.0.0.1:" + taken.getLocalPort()), e.getMessage());
      assertTrue(e.getMessage().contains("http-port"), e.getMessage());
    }
  }

  private static HttpResponse<String> get(HttpClient http, String path) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + server.httpPort() + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static double delta(Scrape before, Scrape after, String name, String... labels) {
    return after.value(name, labels) - before.value(name, labels);
  }
}
