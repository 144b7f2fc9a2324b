package dev.graft.server.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

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
import dev.graft.server.TestData;
import dev.graft.server.TestServer;
import dev.graft.server.app.ConfigLoader;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A replica on a shared store whose database goes down and comes back: calls fail UNAVAILABLE
 * with the store's reason (never UNKNOWN, never a hang), health goes NOT_SERVING once the outage
 * outlasts store-unavailable-grace-seconds, and everything works again after the restart.
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
