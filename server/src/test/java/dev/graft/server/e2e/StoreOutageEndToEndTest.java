package dev.graft.server.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.api.v1.DataSource;
import dev.graft.api.v1.Dataset;
import dev.graft.api.v1.Hyperparameters;
import dev.graft.api.v1.Job;
import dev.graft.api.v1.JobState;
import dev.graft.api.v1.PredictResponse;
import dev.graft.api.v1.TrainRequest;
import dev.graft.client.GraftException;
import dev.graft.client.Inputs;
import dev.graft.server.MinioServer;
import dev.graft.server.PostgresServer;
import dev.graft.server.SlowProxy;
import dev.graft.server.TestData;
import dev.graft.server.TestServer;
import dev.graft.server.app.ConfigLoader;
import dev.graft.server.app.ServerConfig;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A replica on a shared store whose database goes down and comes back: calls fail UNAVAILABLE
 * with the store's reason (never UNKNOWN, never a hang), health goes NOT_SERVING once the outage
 * outlasts store-unavailable-grace-seconds, and everything works again after the restart. And an
 * object store that turns slow holds up only the calls that need a file from it.
 */
class StoreOutageEndToEndTest {
  @TempDir Path work;

  @Test
  void aDatabaseOutageIsUnavailableThenNotServingThenRecovers() throws Exception {
    try (PostgresServer postgres = PostgresServer.startOrSkip(); MinioServer minio = MinioServer.start()) {
      Map<String, String> env = new HashMap<>(minio.environment());
      env.put("GRAFT_STORE_PASSWORD", postgres.password());
      var config = new ConfigLoader(env).load("--port", "0", "--store", postgres.newDatabase().display(),
          "--blob-store", "s3://" + minio.bucket() + "/outage", "--work-dir", work.toString(), "--replica-id", "a",
          "--shutdown-grace-seconds", "5", "--http-port", "-1", "--store-unavailable-grace-seconds", "2");
      try (TestServer server = TestServer.inProcess(config)) {
        var client = server.client();
        var health = HealthGrpc.newBlockingStub(server.channel());
        Dataset tiny = client.uploadExamples("tiny", "nlp", TestData.tinySentiment());
        Job job = client.train(TrainRequest.newBuilder().setBaseModel("minilm-l6").setStrategy("feature-extraction")
            .setOutputModel("outage").setTrain(DataSource.newBuilder().setDataset(tiny.getId()))
            .setValidationSplit(0.25f).setHyperparameters(Hyperparameters.newBuilder().setEpochs(2)).build());
        assertEquals(JobState.JOB_STATE_SUCCEEDED, client.awaitJob(job.getId(), Duration.ofMinutes(3), e -> { })
            .getState());
        var inputs = List.of(Inputs.text("I loved it"));
        PredictResponse before = client.predict("outage", inputs, 2);

        postgres.stop();
        GraftException down = assertThrows(GraftException.class, () -> client.predict("outage", inputs, 2));
        assertEquals(Status.Code.UNAVAILABLE, down.code());
        assertEquals("STORE_UNAVAILABLE", down.reason());
        Supplier<ServingStatus> status = () -> health.check(HealthCheckRequest.getDefaultInstance()).getStatus();
        assertEquals(ServingStatus.NOT_SERVING, await(status, ServingStatus.NOT_SERVING, Duration.ofSeconds(30)));
        assertEquals(ServingStatus.NOT_SERVING, health.check(HealthCheckRequest.newBuilder()
            .setService("graft.v1.InferenceService").build()).getStatus(), "readiness follows the store");
        assertEquals(ServingStatus.SERVING, health.check(HealthCheckRequest.newBuilder()
            .setService("graft.v1.ServerService").build()).getStatus(), "liveness does not: no restart loop");

        postgres.start();
        assertEquals(ServingStatus.SERVING, await(status, ServingStatus.SERVING, Duration.ofSeconds(30)));
        assertEquals(before.getPredictionsList(), client.predict("outage", inputs, 2).getPredictionsList());
      }
    }
  }

  @Test
  void aSlowObjectStoreDoesNotHoldUpCallsThatDoNotNeedIt() throws Exception {
    try (PostgresServer postgres = PostgresServer.startOrSkip(); MinioServer minio = MinioServer.start();
        SlowProxy proxy = new SlowProxy(new InetSocketAddress("127.0.0.1", minio.endpoint().getPort()))) {
      Map<String, String> env = new HashMap<>(minio.environment());
      env.put("AWS_ENDPOINT_URL", "http://127.0.0.1:" + proxy.port());
      env.put("GRAFT_STORE_PASSWORD", postgres.password());
      String db = postgres.newDatabase().display();
      // "server" has no pool named "default", so it never claims the training jobs
      BiFunction<String, String, ServerConfig> replica = (name, pool) -> new ConfigLoader(env)
          .load("--port", "0", "--store", db, "--blob-store", "s3://" + minio.bucket() + "/slow", "--work-dir",
              work.resolve(name).toString(), "--replica-id", name, "--shutdown-grace-seconds", "5", "--http-port", "-1",
              "--pools", pool + "=cpu", "--default-pool", pool);
      try (TestServer trainer = TestServer.inProcess(replica.apply("trainer", "default"));
          TestServer server = TestServer.inProcess(replica.apply("server", "serving"))) {
        Dataset tiny = trainer.client().uploadExamples("tiny", "nlp", TestData.tinySentiment());
        for (String model : List.of("warm", "cold")) {
          Job job = trainer.client().train(TrainRequest.newBuilder().setBaseModel("minilm-l6")
              .setStrategy("feature-extraction").setOutputModel(model)
              .setTrain(DataSource.newBuilder().setDataset(tiny.getId())).setValidationSplit(0.25f)
              // other seeds, other weights: files the cache holds for one are not the other's
              .setDevicePool("default").setHyperparameters(Hyperparameters.newBuilder().setEpochs(2)
                  .setSeed(model.equals("warm") ? 1 : 2)).build());
          assertEquals(JobState.JOB_STATE_SUCCEEDED, trainer.client().awaitJob(job.getId(), Duration.ofMinutes(3),
              e -> { }).getState());
        }
        // "server" has never loaded either model: each one's files come from the object store
        var client = server.client();
        var inputs = List.of(Inputs.text("I loved it"));
        PredictResponse warm = client.predict("warm", inputs, 2); // loaded here: its files are local from now on

        proxy.delay(2000); // every chunk the object store sends now takes 2 s more
        CompletableFuture<String> cold = CompletableFuture.supplyAsync(() -> {
          try {
            client.predict("cold", inputs, 2); // its files must come through the slow store
            return "OK";
          } catch (GraftException e) {
            return e.code() + " " + e.reason();
          }
        });
        Thread.sleep(500);
        assertTrue(!cold.isDone(), "the cold model's first call waits for the slow object store, but: "
            + (cold.isDone() ? cold.join() : ""));
        for (int i = 0; i < 5; i++) {
          long start = System.nanoTime();
          assertEquals(warm.getPredictionsList(), client.predict("warm", inputs, 2).getPredictionsList());
          client.serverInfo();
          long millis = Duration.ofNanos(System.nanoTime() - start).toMillis();
          assertTrue(millis < 1500, "a call on a loaded model took " + millis + " ms while the object store was slow");
        }
        assertTrue(!cold.isDone(), "still downloading while the other calls were answered");
        proxy.delay(0);
        String outcome = cold.get(2, TimeUnit.MINUTES);
        assertTrue(outcome.equals("OK") || outcome.startsWith("UNAVAILABLE"), outcome);
      }
    }
  }

  private static <T> T await(Supplier<T> value, T wanted, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    T now = value.get();
    while (!now.equals(wanted) && System.nanoTime() < deadline) {
      Thread.sleep(200);
      now = value.get();
    }
    return now;
  }
}
