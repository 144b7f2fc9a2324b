package dev.graft.server.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.api.v1.DataSource;
import dev.graft.api.v1.Dataset;
import dev.graft.api.v1.Hyperparameters;
import dev.graft.api.v1.Job;
import dev.graft.api.v1.JobState;
import dev.graft.api.v1.Model;
import dev.graft.api.v1.PredictResponse;
import dev.graft.api.v1.TrainRequest;
import dev.graft.client.Inputs;
import dev.graft.server.MinioServer;
import dev.graft.server.PostgresServer;
import dev.graft.server.TestData;
import dev.graft.server.TestServer;
import dev.graft.server.core.store.sql.DatabaseUrl;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model trained on a local server, migrated ({@code store migrate}) to a real PostgreSQL and
 * MinIO, predicts exactly as before on a server started on the shared store, which finds the
 * dataset, the job and the model under their old identities.
 */
class StoreMigrationEndToEndTest {
  @TempDir Path dir;

  @Test
  void aMigratedModelPredictsOnTheSharedStoreAsItDidLocally() throws Exception {
    try (PostgresServer postgres = PostgresServer.startOrSkip(); MinioServer minio = MinioServer.start()) {
      Path local = dir.resolve("graft-data");
      var inputs = List.of(Inputs.text("I loved it"), Inputs.text("awful, never again"), Inputs.text("fine"));
      PredictResponse before;
      Dataset tiny;
      Job done;
      List<String> localModels;
      try (TestServer server = TestServer.inProcess(local, "http-port", "-1")) {
        tiny = server.client().uploadExamples("tiny", "nlp", TestData.tinySentiment());
        Job job = server.client().train(TrainRequest.newBuilder().setBaseModel("minilm-l6")
            .setStrategy("feature-extraction").setOutputModel("migrated-sentiment")
            .setTrain(DataSource.newBuilder().setDataset(tiny.getId())).setValidationSplit(0.25f)
            .setHyperparameters(Hyperparameters.newBuilder().setEpochs(3)).build());
        done = server.client().awaitJob(job.getId(), Duration.ofMinutes(3), e -> { });
        assertEquals(JobState.JOB_STATE_SUCCEEDED, done.getState(), done.getError().getMessage());
        before = server.client().predict("migrated-sentiment@1", inputs, 2);
        localModels = refs(server.client().listModels());
      }

      DatabaseUrl db = postgres.newDatabase();
      Map<String, String> env = new HashMap<>(minio.environment());
      env.put("GRAFT_STORE_PASSWORD", postgres.password());
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      int status = StoreCommand.run(new String[] {"store", "migrate", "--from", local.toString(), "--to", db.display(),
          "--blob-store", "s3://" + minio.bucket() + "/migrated"}, env, new PrintStream(out, true, StandardCharsets.UTF_8),
          System.err);
      assertEquals(0, status, out.toString(StandardCharsets.UTF_8));
      assertTrue(out.toString(StandardCharsets.UTF_8).contains("model migrated-sentiment@1: copied"), out.toString());

      ServerConfig shared = new ConfigLoader(env).load("--port", "0", "--store", db.display(), "--blob-store",
          "s3://" + minio.bucket() + "/migrated", "--work-dir", Files.createDirectories(dir.resolve("work")).toString(),
          "--replica-id", "shared", "--shutdown-grace-seconds", "5", "--http-port", "-1");
      try (TestServer server = TestServer.inProcess(shared)) {
        assertEquals("shared", server.client().serverInfo().getStore().getKind());
        assertEquals(localModels, refs(server.client().listModels()), "built-ins not installed twice");
        assertEquals(tiny.getId(), server.client().getDataset(tiny.getId()).getId());
        Job found = server.client().getJob(done.getId());
        assertEquals(JobState.JOB_STATE_SUCCEEDED, found.getState());
        assertEquals("migrated-sentiment@1", found.getResultModel());
        PredictResponse after = server.client().predict("migrated-sentiment@1", inputs, 2);
        assertEquals(before.getPredictionsList(), after.getPredictionsList(), "the same predictions, bit for bit");
      }
    }
  }

  private static List<String> refs(List<Model> models) {
    return models.stream().map(m -> m.getName() + "@" + m.getVersion()).sorted().collect(Collectors.toList());
  }
}
