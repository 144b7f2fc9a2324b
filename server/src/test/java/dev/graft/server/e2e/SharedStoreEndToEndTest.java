package dev.graft.server.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.api.v1.DataSource;
import dev.graft.api.v1.Dataset;
import dev.graft.api.v1.Hyperparameters;
import dev.graft.api.v1.Job;
import dev.graft.api.v1.JobState;
import dev.graft.api.v1.Model;
import dev.graft.api.v1.PredictResponse;
import dev.graft.api.v1.ServerInfo;
import dev.graft.api.v1.TrainRequest;
import dev.graft.client.Inputs;
import dev.graft.server.MinioServer;
import dev.graft.server.PostgresServer;
import dev.graft.server.TestData;
import dev.graft.server.TestServer;
import dev.graft.server.app.ConfigLoader;
import dev.graft.server.app.ServerConfig;
import dev.graft.server.core.store.sql.DatabaseUrl;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two replicas on one shared store (a real PostgreSQL and MinIO), no shared folder: each has its
 * own work-dir. A dataset uploaded to one trains through the cluster's queue, the model predicts
 * the same on both, cancel crosses replicas, and built-in models are installed once.
 */
class SharedStoreEndToEndTest {
  @TempDir static Path work;
  static PostgresServer postgres;
  static MinioServer minio;
  static TestServer a;
  static TestServer b;

  @BeforeAll
  static void start() throws Exception {
    postgres = PostgresServer.startOrSkip();
    minio = MinioServer.start();
    DatabaseUrl db = postgres.newDatabase();
    a = TestServer.inProcess(config(db, "a"));
    b = TestServer.inProcess(config(db, "b"));
  }

  @AfterAll
  static void stop() throws Exception {
    for (AutoCloseable c : new AutoCloseable[] {a, b, minio, postgres}) {
      if (c != null) {
        c.close();
      }
    }
  }

  static ServerConfig config(DatabaseUrl db, String replica) throws Exception {
    Map<String, String> env = new HashMap<>(minio.environment());
    env.put("GRAFT_STORE_PASSWORD", postgres.password());
    Path dir = Files.createDirectories(work.resolve(replica));
    return new ConfigLoader(env).load("--port", "0", "--store", db.display(), "--blob-store",
        "s3://" + minio.bucket() + "/e2e", "--work-dir", dir.toString(), "--replica-id", replica,
        "--shutdown-grace-seconds", "5", "--http-port", "-1");
  }

  @Test
  void replicasShareModelsDatasetsAndJobsWithoutASharedFolder() throws Exception {
    ServerInfo info = a.client().serverInfo();
    assertEquals("shared", info.getStore().getKind());
    assertEquals(2, info.getStore().getReplicas());
    assertTrue(info.getStore().getLocation().startsWith("postgresql://"), info.getStore().getLocation());
    assertTrue(!info.getStore().getLocation().contains(postgres.password()));
    List<Model> builtins = b.client().listModels();
    Map<String, Long> versionsPerName = builtins.stream()
        .collect(Collectors.groupingBy(Model::getName, Collectors.counting()));
    assertTrue(versionsPerName.values().stream().allMatch(n -> n == 1),
        "each built-in model installed once by two replicas: " + versionsPerName);

    Dataset tiny = a.client().uploadExamples("tiny", "nlp", TestData.tinySentiment());
    Job job = b.client().train(TrainRequest.newBuilder().setBaseModel("minilm-l6").setStrategy("feature-extraction")
        .setOutputModel("shared-sentiment").setTrain(DataSource.newBuilder().setDataset(tiny.getId()))
        .setValidationSplit(0.25f).setHyperparameters(Hyperparameters.newBuilder().setEpochs(3)).build());
    Job done = a.client().awaitJob(job.getId(), Duration.ofMinutes(3), e -> { });
    assertEquals(JobState.JOB_STATE_SUCCEEDED, done.getState(), done.getError().getMessage());
    assertEquals("shared-sentiment@1", done.getResultModel());

    var inputs = List.of(Inputs.text("I loved it"), Inputs.text("awful, never again"));
    PredictResponse onA = a.client().predict("shared-sentiment", inputs, 2);
    PredictResponse onB = b.client().predict("shared-sentiment", inputs, 2);
    assertEquals(onA.getPredictionsList(), onB.getPredictionsList(), "the same model on both replicas");
    assertEquals(Set.of("shared-sentiment@1"), b.client().listModels().stream()
        .filter(m -> m.getName().equals("shared-sentiment")).map(m -> m.getName() + "@" + m.getVersion())
        .collect(Collectors.toSet()));
  }

  @Test
  void aJobIsCancelledThroughEitherReplica() throws Exception {
    Dataset tiny = b.client().uploadExamples("tiny-cancel", "nlp", TestData.tinySentiment());
    Job job = a.client().train(TrainRequest.newBuilder().setBaseModel("minilm-l6").setStrategy("feature-extraction")
        .setOutputModel("never").setTrain(DataSource.newBuilder().setDataset(tiny.getId()))
        .setValidationSplit(0.25f).setHyperparameters(Hyperparameters.newBuilder().setEpochs(100000)
            .setEarlyStoppingPatience(100000)).build());
    long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
    while (a.client().getJob(job.getId()).getState() != JobState.JOB_STATE_RUNNING && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    assertEquals(JobState.JOB_STATE_RUNNING, a.client().getJob(job.getId()).getState());
    b.client().cancelJob(job.getId());
    b.client().cancelJob(job.getId()); // idempotent, from the replica that may not run it
    Job done = b.client().awaitJob(job.getId(), Duration.ofMinutes(1), e -> { });
    assertEquals(JobState.JOB_STATE_CANCELLED, done.getState());
  }
}
