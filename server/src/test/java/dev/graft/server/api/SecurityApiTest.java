package dev.graft.server.api;

import static dev.graft.server.api.Assertions2.assertGraftError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.RetryInfo;
import dev.graft.api.v1.DataSource;
import dev.graft.api.v1.Dataset;
import dev.graft.api.v1.Hyperparameters;
import dev.graft.api.v1.Job;
import dev.graft.api.v1.ModelSpec;
import dev.graft.api.v1.TrainRequest;
import dev.graft.client.GraftClient;
import dev.graft.client.GraftException;
import dev.graft.server.TestData;
import dev.graft.server.TestServer;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Roles, ownership, protected names, the audit log and the per-principal limits, through a real
 * port with a tokens file: the attacks an outside probe made against a default server, as
 * regression tests.
 */
class SecurityApiTest {
  private static final String ALICE = "graft_alice-token";
  private static final String BOB = "graft_bob-token";
  private static final String READER = "graft_reader-token";
  private static final String ADMIN = "graft_admin-token";

  @TempDir
  static Path dir;
  private static Path tokens;
  private static TestServer server;
  private static GraftClient alice;
  private static GraftClient bob;
  private static GraftClient reader;
  private static GraftClient admin;
  private static final List<String> audit = new ArrayList<>();
  private static final Handler AUDIT = new Handler() {
    @Override
    public void publish(LogRecord record) {
      synchronized (audit) {
        audit.add(record.getMessage());
      }
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  };

  @BeforeAll
  static void start() throws IOException {
    tokens = dir.resolve("tokens");
    Files.writeString(tokens, "# principals of this test\n"
        + line("alice", "trainer", ALICE) + line("bob", "trainer", BOB) + line("ro", "reader", READER)
        + line("root", "admin", ADMIN));
    Logger.getLogger("graft.audit").addHandler(AUDIT);
    server = TestServer.onPort(dir.resolve("store"), "auth-tokens-file", tokens.toString(),
        "credentials-refresh-seconds", "1", "max-jobs-per-principal", "1");
    alice = client(ALICE);
    bob = client(BOB);
    reader = client(READER);
    admin = client(ADMIN);
  }

  @AfterAll
  static void stop() {
    Logger.getLogger("graft.audit").removeHandler(AUDIT);
    for (GraftClient c : new GraftClient[] {alice, bob, reader, admin}) {
      c.close();
    }
    server.close();
  }

  @Test
  void withAuthTheServerListensOnEveryInterfaceAndRefusesCallersWithoutAToken() {
    assertEquals("0.0.0.0", server.config().security().address());
    assertGraftError(Status.Code.UNAUTHENTICATED, "UNAUTHENTICATED", () -> server.client().listModels());
    try (GraftClient stranger = client("graft_not-a-token")) {
      assertGraftError(Status.Code.UNAUTHENTICATED, "INVALID_TOKEN", stranger::listModels);
    }
  }

  @Test
  void aReaderReadsButCannotUploadTrainOrImport() {
    assertFalse(reader.listModels().isEmpty());
    GraftException upload = assertGraftError(Status.Code.PERMISSION_DENIED, "ROLE_REQUIRED",
        () -> reader.uploadExamples("nope", "nlp", TestData.tinySentiment()));
    assertTrue(upload.getMessage().contains("trainer"), upload.getMessage());
    assertGraftError(Status.Code.PERMISSION_DENIED, "ROLE_REQUIRED", () -> reader.train(sentimentJob("x", "ds-0")));
    assertGraftError(Status.Code.PERMISSION_DENIED, "ROLE_REQUIRED",
        () -> alice.importModel(ModelSpec.newBuilder().setName("m").setDomain("nlp").setFormat("onnx").build(),
            List.of()));
  }

  @Test
  void codeBearingFormatsAreRefusedEvenToAnAdminUnlessTheOperatorAllowsThem() {
    Path module = Path.of("../plugins/domain-vision/src/test/resources/torchscript/tiny_cnn.pt");
    GraftException e = assertGraftError(Status.Code.PERMISSION_DENIED, "CODE_IMPORTS_DISABLED",
        () -> admin.importModel(ModelSpec.newBuilder().setName("scripted").setDomain("vision")
            .setFormat("torchscript").build(), List.of(new GraftClient.Part("", module))));
    assertTrue(e.getMessage().contains("allow-code-imports"), e.getMessage());
    assertGraftError(Status.Code.NOT_FOUND, "MODEL_NOT_FOUND", () -> admin.getModel("scripted"));
  }

  @Test
  void withCodeImportsAllowedAModuleThatReadsServerFilesIsRefusedBeforeItRuns() throws IOException {
    // The probe's attack: forward() returns torch.from_file(<a server file>) as features.
    Path secret = Path.of("/tmp/graft-audit-secret.txt");
    Files.writeString(secret, "server secret");
    Path attack = Path.of("../plugins/domain-vision/src/test/resources/torchscript/attack_from_file.pt");
    Path written = Path.of("/tmp/graft-audit-written.pt");
    Path save = Path.of("../plugins/domain-vision/src/test/resources/torchscript/attack_save.pt");
    Files.deleteIfExists(written);
    try (TestServer open = TestServer.onPort(dir.resolve("code-store"), "auth-tokens-file", tokens.toString(),
            "allow-code-imports", "true");
        GraftClient root = GraftClient.builder("localhost:" + open.port()).bearerToken(ADMIN).maxAttempts(1).build()) {
      for (Path module : List.of(attack, save)) {
        GraftException e = assertGraftError(Status.Code.INVALID_ARGUMENT, "FORBIDDEN_OPERATOR", "chunk",
            () -> root.importModel(ModelSpec.newBuilder().setName("attack").setDomain("vision")
                .setFormat("torchscript").putProperties("input_size", "32").build(),
                List.of(new GraftClient.Part("", module))));
        assertTrue(e.getMessage().contains("aten::"), e.getMessage());
        assertFalse(e.getMessage().contains("server secret"), e.getMessage());
      }
      assertFalse(Files.exists(written), "the import's probe pass must not have written a file");
      assertGraftError(Status.Code.NOT_FOUND, "MODEL_NOT_FOUND", () -> root.getModel("attack"));
      assertGraftError(Status.Code.PERMISSION_DENIED, "ROLE_REQUIRED", () -> alice.importModel(ModelSpec.newBuilder()
          .setName("attack").setDomain("vision").setFormat("torchscript").build(), List.of()));
    }
  }

  @Test
  void datasetsArePrivateToTheirUploaderAndRecordIt() {
    Dataset mine = alice.uploadExamples("alice-data", "nlp", TestData.tinySentiment());
    assertEquals("alice", mine.getCreatedBy());
    assertGraftError(Status.Code.PERMISSION_DENIED, "NOT_OWNER", () -> bob.getDataset(mine.getId()));
    assertFalse(bob.listDatasets().stream().anyMatch(d -> d.getId().equals(mine.getId())));
    assertGraftError(Status.Code.PERMISSION_DENIED, "NOT_OWNER", () -> bob.deleteDataset(mine.getId()));
    assertGraftError(Status.Code.PERMISSION_DENIED, "NOT_OWNER", () -> bob.train(sentimentJob("bobs", mine.getId())));
    assertEquals(mine.getId(), admin.getDataset(mine.getId()).getId());
    assertTrue(auditLines().stream().anyMatch(l -> l.contains("principal=alice role=trainer")
        && l.contains("call=graft.v1.DatasetService/UploadDataset") && l.contains("target=\"alice-data\"")
        && l.contains("code=OK")), auditLines().toString());
    assertTrue(auditLines().stream().anyMatch(l -> l.contains("principal=bob")
        && l.contains("call=graft.v1.DatasetService/DeleteDataset") && l.contains("code=PERMISSION_DENIED")
        && l.contains("reason=NOT_OWNER")), auditLines().toString());
    alice.deleteDataset(mine.getId());
  }

  @Test
  void baseModelsCannotBeShadowedOrDeletedByTrainers() {
    Dataset data = alice.uploadExamples("shadow-data", "nlp", TestData.tinySentiment());
    assertGraftError(Status.Code.INVALID_ARGUMENT, "NAME_TAKEN_BY_BASE", "output_model",
        () -> alice.train(sentimentJob("minilm-l6", data.getId())));
    assertGraftError(Status.Code.PERMISSION_DENIED, "ROLE_REQUIRED", () -> alice.deleteModel("bge-small-en"));
    assertEquals("graft", reader.getModel("bge-small-en").getCreatedBy());
    assertEquals(1, reader.getModel("minilm-l6").getVersion());
  }

  @Test
  void jobsBelongToTheirSubmitterAndTheQuotaCountsThem() throws Exception {
    Dataset data = alice.uploadExamples("job-data", "nlp", TestData.tinySentiment());
    TrainRequest slow = sentimentJob("alice-model", data.getId()).toBuilder()
        .setHyperparameters(Hyperparameters.newBuilder().setEpochs(100000).setEarlyStoppingPatience(100000)
            .setBatchSize(1))
        .build();
    Job job = alice.train(slow);
    try {
      assertEquals("alice", job.getCreatedBy());
      GraftException quota = assertGraftError(Status.Code.RESOURCE_EXHAUSTED, "TOO_MANY_JOBS", () -> alice.train(slow));
      assertTrue(quota.getMessage().contains("max-jobs-per-principal=1"), quota.getMessage());
      assertGraftError(Status.Code.PERMISSION_DENIED, "NOT_OWNER", () -> bob.cancelJob(job.getId()));
      // resume_from is checked when the job is submitted: someone else's job, an unknown one
      Dataset bobs = bob.uploadExamples("bob-data", "nlp", TestData.tinySentiment());
      assertGraftError(Status.Code.PERMISSION_DENIED, "NOT_OWNER",
          () -> bob.train(resumeFrom(sentimentJob("bob-model", bobs.getId()), job.getId())));
      assertGraftError(Status.Code.INVALID_ARGUMENT, "JOB_NOT_FOUND",
          () -> bob.train(resumeFrom(sentimentJob("bob-model", bobs.getId()), "job-000000000000")));
    } finally {
      alice.cancelJob(job.getId());
      alice.awaitJob(job.getId(), Duration.ofSeconds(30), e -> { });
    }
  }

  @Test
  void aTrainedModelTakesNewVersionsOnlyFromItsOwner() {
    Dataset data = alice.uploadExamples("owned-data", "nlp", TestData.tinySentiment());
    Job done = alice.awaitJob(alice.train(sentimentJob("alice-owned", data.getId())).getId(), Duration.ofMinutes(2),
        e -> { });
    assertEquals("alice-owned@1", done.getResultModel(), done.toString());
    assertEquals("alice", reader.getModel("alice-owned").getCreatedBy());
    Dataset bobs = bob.uploadExamples("bob-owned-data", "nlp", TestData.tinySentiment());
    assertGraftError(Status.Code.PERMISSION_DENIED, "NOT_OWNER", () -> bob.train(sentimentJob("alice-owned",
        bobs.getId())));
    assertGraftError(Status.Code.PERMISSION_DENIED, "NOT_OWNER", () -> bob.deleteModel("alice-owned"));
    alice.deleteModel("alice-owned");
  }

  @Test
  void aPrincipalAddedToTheTokensFileCanCallWithoutARestart() throws Exception {
    String token = "graft_carol-token";
    try (GraftClient carol = client(token)) {
      assertGraftError(Status.Code.UNAUTHENTICATED, "INVALID_TOKEN", carol::listModels);
      Files.writeString(tokens, Files.readString(tokens) + line("carol", "reader", token));
      long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
      while (true) {
        try {
          carol.listModels();
          break;
        } catch (GraftException e) {
          if (System.nanoTime() > deadline) {
            throw e;
          }
          Thread.sleep(200);
        }
      }
    }
  }

  @Test
  void whereTheStoreLivesIsToldToAdminsOnly() {
    var forAdmin = admin.serverInfo().getStore();
    assertEquals("local", forAdmin.getKind());
    assertEquals(server.config().store().toString(), forAdmin.getLocation());
    for (GraftClient c : new GraftClient[] {reader, alice}) {
      var store = c.serverInfo().getStore();
      assertEquals("local", store.getKind());
      assertEquals(1, store.getReplicas());
      assertEquals("", store.getLocation(), "a reader or trainer is not told where the store lives");
      assertEquals("", store.getBlobStore());
    }
  }

  @Test
  void overTheRateACallerIsToldWhenToRetry() throws Exception {
    try (TestServer limited = TestServer.onPort(dir.resolve("limited"), "auth-tokens-file", tokens.toString(),
            "rate-limit-per-second", "1", "rate-limit-burst", "2");
        GraftClient c = GraftClient.builder("localhost:" + limited.port()).bearerToken(READER).maxAttempts(1).build()) {
      c.serverInfo();
      c.serverInfo();
      io.grpc.StatusRuntimeException e = org.junit.jupiter.api.Assertions.assertThrows(
          io.grpc.StatusRuntimeException.class,
          () -> dev.graft.api.v1.ServerServiceGrpc.newBlockingStub(c.channel())
              .withCallCredentials(bearer(READER))
              .getServerInfo(dev.graft.api.v1.GetServerInfoRequest.getDefaultInstance()));
      assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode());
      RetryInfo retry = StatusProto.fromThrowable(e).getDetailsList().stream()
          .filter(a -> a.is(RetryInfo.class)).findFirst().map(a -> {
            try {
              return a.unpack(RetryInfo.class);
            } catch (InvalidProtocolBufferException x) {
              throw new AssertionError(x);
            }
          }).orElseThrow();
      assertTrue(retry.getRetryDelay().getSeconds() * 1000 + retry.getRetryDelay().getNanos() / 1_000_000 > 0);
    }
  }

  private static io.grpc.CallCredentials bearer(String token) {
    return new io.grpc.CallCredentials() {
      @Override
      public void applyRequestMetadata(RequestInfo info, java.util.concurrent.Executor executor, MetadataApplier apply) {
        io.grpc.Metadata m = new io.grpc.Metadata();
        m.put(io.grpc.Metadata.Key.of("authorization", io.grpc.Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
        apply.apply(m);
      }
    };
  }

  private static TrainRequest sentimentJob(String output, String dataset) {
    return TrainRequest.newBuilder().setBaseModel("minilm-l6").setStrategy("feature-extraction")
        .setOutputModel(output).setTrain(DataSource.newBuilder().setDataset(dataset)).build();
  }

  private static TrainRequest resumeFrom(TrainRequest r, String jobId) {
    return r.toBuilder().setHyperparameters(r.getHyperparameters().toBuilder().putExtra("resume_from", jobId)).build();
  }

  private static List<String> auditLines() {
    synchronized (audit) {
      return List.copyOf(audit);
    }
  }

  private static GraftClient client(String token) {
    return GraftClient.builder("localhost:" + server.port()).bearerToken(token).maxAttempts(1).build();
  }

  private static String line(String name, String role, String token) {
    try {
      return name + " " + role + " " + HexFormat.of().formatHex(
          MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8))) + "\n";
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }
}
