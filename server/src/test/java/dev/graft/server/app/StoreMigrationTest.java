package dev.graft.server.app;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.server.MinioServer;
import dev.graft.server.PostgresServer;
import dev.graft.server.core.Limits;
import dev.graft.server.core.store.DatasetFormat;
import dev.graft.server.core.store.DatasetIntake;
import dev.graft.server.core.store.DatasetParser;
import dev.graft.server.core.store.DatasetRecord;
import dev.graft.server.core.store.DatasetSpecRecord;
import dev.graft.server.core.store.DatasetUpload;
import dev.graft.server.core.store.DiskSpace;
import dev.graft.server.core.store.JobError;
import dev.graft.server.core.store.JobProgress;
import dev.graft.server.core.store.JobRecord;
import dev.graft.server.core.store.JobState;
import dev.graft.server.core.store.JsonCodec;
import dev.graft.server.core.store.JsonlDatasetParser;
import dev.graft.server.core.store.LocalDatasetStore;
import dev.graft.server.core.store.LocalJobStore;
import dev.graft.server.core.store.LocalModelStore;
import dev.graft.server.core.store.ModelInputSpec;
import dev.graft.server.core.store.ModelKind;
import dev.graft.server.core.store.ModelRecord;
import dev.graft.server.core.store.StoreLayout;
import dev.graft.server.core.store.blob.BlobCache;
import dev.graft.server.core.store.blob.ContentAddress;
import dev.graft.server.core.store.s3.S3BlobStore;
import dev.graft.server.core.store.sql.Database;
import dev.graft.server.core.store.sql.DatabaseUrl;
import dev.graft.server.core.store.sql.Instances;
import dev.graft.server.core.store.sql.SqlDatasetStore;
import dev.graft.server.core.store.sql.SqlJobStore;
import dev.graft.server.core.store.sql.SqlModelStore;
import dev.graft.spi.ErrorKind;
import dev.graft.spi.Hyperparameters;
import dev.graft.spi.MetricValue;
import dev.graft.spi.Task;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code graft-server store migrate} and {@code store verify} against a real PostgreSQL and MinIO:
 * a local store (versions, a deleted one, aliases, a dataset, ended and unfinished jobs) is copied
 * with every identity kept and files byte-identical, a second run copies nothing, a run cut off by
 * a database outage completes when run again, a conflict is reported and never overwritten, a
 * store in use is refused, and verify finds a blob deleted behind the store's back.
 */
class StoreMigrationTest {
  static final Map<DatasetFormat, DatasetParser> PARSERS = Map.of(DatasetFormat.JSONL, new JsonlDatasetParser());
  static final String TEXT = """
      {"text": "I loved it", "label": "pos"}
      {"text": "awful", "label": "neg"}
      {"text": "great", "label": "pos"}
      """;

  @TempDir static Path dir;
  static PostgresServer postgres;
  static MinioServer minio;
  final JsonCodec json = new JsonCodec();

  @BeforeAll
  static void start() throws Exception {
    postgres = PostgresServer.startOrSkip();
    minio = MinioServer.start();
  }

  @AfterAll
  static void stop() throws Exception {
    for (AutoCloseable c : new AutoCloseable[] {minio, postgres}) {
      if (c != null) {
        c.close();
      }
    }
  }

  /** One run of the command: its exit status and what it printed. */
  record Run(int status, String out, String err) {}

  static Run store(Consumer<String> onLine, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream printed = new PrintStream(out, true, StandardCharsets.UTF_8) {
      @Override
      public void println(String line) {
        super.println(line);
        onLine.accept(line);
      }
    };
    int status = StoreCommand.run(args, environment(), printed, new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  static Map<String, String> environment() {
    Map<String, String> env = new HashMap<>(minio.environment());
    env.put("GRAFT_STORE_PASSWORD", postgres.password());
    return env;
  }

  static Run migrate(Path from, DatabaseUrl to, String prefix, Consumer<String> onLine) {
    return store(onLine, "store", "migrate", "--from", from.toString(), "--to", to.display(), "--blob-store",
        "s3://" + minio.bucket() + "/" + prefix);
  }

  static Run verify(DatabaseUrl to, String prefix, String... more) {
    List<String> args = new ArrayList<>(List.of("store", "verify", "--store", to.display(), "--blob-store",
        "s3://" + minio.bucket() + "/" + prefix));
    args.addAll(List.of(more));
    return store(line -> { }, args.toArray(String[]::new));
  }

  // ---------------------------------------------------------------------------------------------

  @Test
  void aLocalStoreIsCopiedWithItsIdentitiesOnceAndVerified() throws Exception {
    Path local = dir.resolve("local-full");
    Local source = Local.build(local, json, 3);
    DatabaseUrl db = postgres.newDatabase();
    String prefix = "migrate-" + UUID.randomUUID();

    Run first = migrate(local, db, prefix, line -> { });
    assertEquals(0, first.status(), first.out() + first.err());
    assertTrue(first.out().contains("model sentiment@1: copied ("), first.out());
    assertTrue(first.out().contains("model sentiment@2 (deleted, its number kept): copied"), first.out());
    assertTrue(first.out().contains("model gone@1 (deleted, its number kept): copied"), first.out());
    assertTrue(first.out().contains("dataset " + source.dataset.id() + " 'reviews': copied"), first.out());
    assertTrue(first.out().contains("alias sentiment:prod -> 3: copied"), first.out());
    assertTrue(first.out().contains("model version(s): 5 copied, 0 already there"), first.out());
    assertTrue(first.out().contains("job(s): 3 copied, 0 already there"), first.out());
    assertTrue(first.out().contains("migration complete"), first.out());

    try (Shared shared = Shared.open(db, prefix, dir.resolve("check-" + prefix))) {
      // same identities, same records
      assertEquals(source.versions, shared.models.list());
      assertTrue(shared.models.find("sentiment@2").isEmpty(), "deleted stays deleted");
      assertEquals(Map.of("prod", 3, "old", 1), shared.models.aliases().of("sentiment"));
      assertEquals(source.versions.stream().filter(v -> v.ref().equals("sentiment@3")).findFirst().orElseThrow(),
          shared.models.get("sentiment:prod"));
      for (ModelRecord v : source.versions) {
        assertSameFiles(local.resolve("models").resolve(v.name()).resolve(Integer.toString(v.version())),
            shared.models.directory(v));
      }
      assertEquals(source.dataset, shared.datasets.get(source.dataset.id()));
      assertEquals(3, shared.datasets.examples(source.dataset.id()).size());
      assertSameFiles(local.resolve("datasets").resolve(source.dataset.id()),
          shared.datasets.directory(source.dataset));
      for (JobRecord job : source.jobs) {
        assertEquals(Optional.of(job), shared.jobs.find(job.id()));
      }
      long objects = minio.newStore(prefix).list("").size();
      Map<String, Long> rows = shared.counts();

      // again: nothing copied, nothing sent
      Run second = migrate(local, db, prefix, line -> { });
      assertEquals(0, second.status(), second.out() + second.err());
      assertTrue(second.out().contains("model sentiment@1: already there"), second.out());
      assertTrue(second.out().contains("model version(s): 0 copied, 5 already there"), second.out());
      assertTrue(second.out().contains("deleted version(s): 0 copied, 2 already there"), second.out());
      assertTrue(second.out().contains("dataset(s): 0 copied, 1 already there"), second.out());
      assertTrue(second.out().contains("job(s): 0 copied, 3 already there"), second.out());
      assertTrue(second.out().contains("blobs sent: 0 (0 bytes)"), second.out());
      assertEquals(objects, minio.newStore(prefix).list("").size());
      assertEquals(rows, shared.counts());

      // deleted numbers stay taken: the next version of "gone" (1 deleted) is 2
      assertTrue(shared.models.find("gone").isEmpty());
      Path staged = shared.models.newStagingDirectory();
      Files.writeString(staged.resolve("w.bin"), "new");
      assertEquals(2, shared.models.create(Local.draft("gone"), staged).version());
    }

    // verify: the one unfinished job awaits recovery (its local owner is never alive here)
    Run checked = verify(db, prefix);
    assertEquals(1, checked.status(), checked.out() + checked.err());
    assertEquals(List.of("job job-running: RUNNING, but its owner local:" + source.runningOwner + " is not alive and it"
        + " is not in the cluster's queue (the next server to start, or a live replica's recovery, ends it)"),
        checked.out().lines().filter(l -> !l.contains("problem(s) in")).toList());
    assertTrue(checked.out().contains("1 problem(s) in 6 model version(s), 1 dataset(s), 3 job(s)"), checked.out());

    // a blob deleted behind the store's back is found, by stat and deep
    Path weights = local.resolve("models").resolve("sentiment/3/weights.bin");
    String key = ContentAddress.ref(weights).key();
    try (S3BlobStore blobs = minio.newStore(prefix)) {
      blobs.delete(key);
    }
    for (Run run : List.of(verify(db, prefix), verify(db, prefix, "--deep"))) {
      assertEquals(1, run.status(), run.out() + run.err());
      assertTrue(run.out().contains("model sentiment@3: file 'weights.bin' (" + key + "): missing from the object store"),
          run.out());
    }
  }

  @Test
  void anInterruptedMigrationCompletesWhenRunAgain() throws Exception {
    Path local = dir.resolve("local-interrupted");
    Local source = Local.build(local, json, 6);
    DatabaseUrl db = postgres.newDatabase();
    String prefix = "interrupted-" + UUID.randomUUID();
    AtomicBoolean stopped = new AtomicBoolean();
    Run cut = migrate(local, db, prefix, line -> {
      if (line.startsWith("model big@2: copied") && stopped.compareAndSet(false, true)) {
        try {
          postgres.stop();
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      }
    });
    postgres.start();
    assertTrue(stopped.get(), cut.out());
    assertEquals(1, cut.status(), cut.out() + cut.err());
    assertTrue(cut.out().contains("interrupted"), cut.out());
    assertTrue(cut.out().contains("run it again to resume"), cut.out());

    Run resumed = migrate(local, db, prefix, line -> { });
    assertEquals(0, resumed.status(), resumed.out() + resumed.err());
    assertTrue(resumed.out().contains("model big@1: already there"), resumed.out());
    assertTrue(resumed.out().contains("model big@2: already there"), resumed.out());
    assertTrue(resumed.out().contains("model big@3: copied"), resumed.out());
    try (Shared shared = Shared.open(db, prefix, dir.resolve("check-" + prefix))) {
      assertEquals(source.versions, shared.models.list());
      for (ModelRecord v : source.versions) {
        assertSameFiles(local.resolve("models").resolve(v.name()).resolve(Integer.toString(v.version())),
            shared.models.directory(v));
      }
      assertEquals(Map.of("model_versions", 10L, "model_aliases", 2L, "datasets", 1L, "jobs", 3L), shared.counts());
    }
    // every blob sent once: the bucket holds exactly the distinct files
    long distinct;
    try (Stream<Path> files = Files.walk(local.resolve("models"))) {
      distinct = files.filter(Files::isRegularFile).filter(p -> !p.getFileName().toString().equals("manifest.json"))
          .filter(p -> !p.getFileName().toString().equals(".deleted"))
          .map(ContentAddress::sha256).distinct().count();
    }
    try (Stream<Path> files = Files.walk(local.resolve("datasets"))) {
      distinct += files.filter(Files::isRegularFile).filter(p -> !p.getFileName().toString().equals("manifest.json"))
          .count();
    }
    assertEquals(distinct, minio.newStore(prefix).list("").size());
  }

  @Test
  void aConflictIsReportedAndNeverOverwritten() throws Exception {
    Path local = dir.resolve("local-conflict");
    Local.build(local, json, 1);
    DatabaseUrl db = postgres.newDatabase();
    String prefix = "conflict-" + UUID.randomUUID();
    assertEquals(0, migrate(local, db, prefix, line -> { }).status());
    try (StoreLayout layout = new StoreLayout(local)) {
      new LocalModelStore(layout, json).aliases().set("sentiment", "prod", 1);
    }
    Run again = migrate(local, db, prefix, line -> { });
    assertEquals(1, again.status(), again.out());
    assertTrue(again.out().contains("alias sentiment:prod -> 1: CONFLICT: the shared store's sentiment:prod names"
        + " version 3, the source's version 1"), again.out());
    assertTrue(again.out().contains("problem: alias sentiment:prod -> 1: conflict:"), again.out());
    try (Shared shared = Shared.open(db, prefix, dir.resolve("check-" + prefix))) {
      assertEquals(3, shared.models.aliases().version("sentiment", "prod").orElseThrow());
    }
  }

  @Test
  void aStoreInUseIsRefusedAndBadArgumentsExitTwo() throws Exception {
    Path local = dir.resolve("local-in-use");
    Local.build(local, json, 1);
    DatabaseUrl db = postgres.newDatabase();
    try (StoreLayout running = new StoreLayout(local)) {
      Run refused = migrate(local, db, "in-use", line -> { });
      assertEquals(1, refused.status());
      assertTrue(refused.err().contains("is in use by 1 running server(s) (instance(s) " + running.instanceId() + ")"),
          refused.err());
    }
    try (Connection c = postgres.connect(db.display().substring(db.display().lastIndexOf('/') + 1));
        Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT to_regclass('model_versions')")) {
      rs.next();
      assertEquals(null, rs.getString(1), "nothing was done to the database");
    }
    assertEquals(2, store(l -> { }, "store", "migrate", "--from", local.toString()).status());
    assertEquals(2, store(l -> { }, "store", "migrate", "--from", local.toString(), "--to", "/tmp/x").status());
    assertEquals(2, store(l -> { }, "store", "migrate", "--from", dir.resolve("none").toString(), "--to",
        db.display(), "--blob-store", "s3://graft/x").status());
    Run noBlobs = store(l -> { }, "store", "migrate", "--from", local.toString(), "--to", db.display());
    assertEquals(2, noBlobs.status());
    assertTrue(noBlobs.err().contains("set blob-store=s3://bucket/prefix"), noBlobs.err());
    assertEquals(2, store(l -> { }, "store", "migrate", "--from", local.toString(), "--port", "1").status());
    assertEquals(2, store(l -> { }, "store", "frobnicate").status());
    assertEquals(2, store(l -> { }, "store", "verify", "--store", local.toString(), "--blob-store", "s3://a/b").status());
    Run localOk = store(l -> { }, "store", "verify", "--store", local.toString(), "--deep");
    assertEquals(1, localOk.status(), "the local store's unfinished job has no live owner: " + localOk.out());
  }

  static void assertSameFiles(Path expected, Path actual) throws IOException {
    assertEquals(files(expected).keySet(), files(actual).keySet(), expected + " vs " + actual);
    for (var e : files(expected).entrySet()) {
      assertArrayEquals(Files.readAllBytes(e.getValue()), Files.readAllBytes(files(actual).get(e.getKey())), e.getKey());
    }
  }

  /** Regular files under {@code root} but its manifest, by relative path. */
  static Map<String, Path> files(Path root) throws IOException {
    Map<String, Path> out = new TreeMap<>();
    try (Stream<Path> walk = Files.walk(root)) {
      walk.filter(Files::isRegularFile).forEach(p -> {
        String rel = root.relativize(p).toString().replace('\\', '/');
        if (!rel.equals("manifest.json")) {
          out.put(rel, p);
        }
      });
    }
    return out;
  }

  // ---------------------------------------------------------------------------------------------

  /**
   * A stopped local store: model "sentiment" versions 1 to 3 with 2 deleted (files a random
   * weights.bin and sub/config.json, one shared by all), aliases prod -> 3 and old -> 1, model
   * "gone" whose only version is deleted, model
   * "big" with {@code bigVersions} versions, a dataset, and a SUCCEEDED, a FAILED and a RUNNING job.
   */
  record Local(List<ModelRecord> versions, DatasetRecord dataset, List<JobRecord> jobs, String runningOwner) {
    static ModelRecord draft(String name) {
      return new ModelRecord(name, 0, ModelKind.TRAINED, "nlp", "PyTorch", "head", "minilm-l6@1",
          "feature-extraction", "ds-0123456789ab", "abc", Task.CLASSIFICATION, List.of("neg", "pos"),
          List.of(new MetricValue("accuracy", 0.9, "validation", 0), new MetricValue("loss", Double.NaN, "train", 1)),
          new ModelInputSpec(List.of(1L, 128L), 128, 0, 0, List.of(0.5f), List.of(0.25f)),
          Map.of("epochs", "3"), Map.of("pooling", "mean"), 0, null, "job-ok", 384, "alice");
    }

    static JobRecord job(String id, JobState state, JobError error, String result) {
      Instant t = Instant.parse("2025-01-01T00:00:00Z");
      return new JobRecord(id, state, "minilm-l6@1", "feature-extraction", "sentiment", result, Task.CLASSIFICATION,
          "inline", "", 0.25f, new Hyperparameters(3, 0, 0, 0, 0, 7, Map.of()), "default", "cpu", 0, Map.of(),
          JobProgress.none(), List.of(new MetricValue("loss", Double.NaN, "train", 1)), error, t,
          state == JobState.QUEUED ? null : t, state.terminal() ? t.plusSeconds(5) : null, "alice");
    }

    static Local build(Path root, JsonCodec json, int bigVersions) throws IOException {
      Random random = new Random(root.toString().hashCode());
      List<ModelRecord> live = new ArrayList<>();
      DatasetRecord dataset;
      List<JobRecord> jobs = new ArrayList<>();
      String runningOwner;
      try (StoreLayout layout = new StoreLayout(root)) {
        LocalModelStore models = new LocalModelStore(layout, json);
        for (int v = 1; v <= 3; v++) {
          Path staged = models.newStagingDirectory();
          byte[] weights = new byte[100_000 + v];
          random.nextBytes(weights);
          Files.write(staged.resolve("weights.bin"), weights);
          Files.createDirectories(staged.resolve("sub"));
          Files.writeString(staged.resolve("sub/config.json"), "{\"shared\": true}");
          live.add(models.create(draft("sentiment"), staged));
        }
        models.delete("sentiment@2");
        Path gone = models.newStagingDirectory();
        Files.writeString(gone.resolve("w.bin"), "gone");
        models.create(draft("gone"), gone);
        models.delete("gone@1");
        live.remove(1);
        models.aliases().set("sentiment", "prod", 3);
        models.aliases().set("sentiment", "old", 1);
        for (int v = 1; v <= bigVersions; v++) {
          Path staged = models.newStagingDirectory();
          byte[] weights = new byte[50_000];
          random.nextBytes(weights);
          Files.write(staged.resolve("weights.bin"), weights);
          live.add(models.create(draft("big"), staged));
        }
        live.sort(java.util.Comparator.comparing(ModelRecord::name).thenComparingInt(ModelRecord::version));
        LocalDatasetStore datasets = new LocalDatasetStore(layout, json, PARSERS);
        byte[] bytes = TEXT.getBytes(StandardCharsets.UTF_8);
        try (DatasetUpload up = datasets.begin(new DatasetSpecRecord("reviews", "nlp", DatasetFormat.JSONL, null,
            Map.of()), "alice")) {
          up.write("", bytes, 0, bytes.length);
          dataset = up.commit();
        }
        LocalJobStore store = new LocalJobStore(layout, json);
        jobs.add(job("job-ok", JobState.SUCCEEDED, null, "sentiment@3"));
        jobs.add(job("job-failed", JobState.FAILED, new JobError(ErrorKind.INVALID_ARGUMENT, "BAD_DATA", "bad"), ""));
        jobs.add(job("job-running", JobState.RUNNING, null, ""));
        jobs.forEach(store::save);
        runningOwner = layout.instanceId();
      }
      return new Local(live, dataset, jobs, runningOwner);
    }
  }

  /** The shared store as a server would open it, for checks. */
  record Shared(Database db, S3BlobStore blobs, Instances instances, SqlModelStore models, SqlDatasetStore datasets,
      SqlJobStore jobs) implements AutoCloseable {
    static Shared open(DatabaseUrl url, String prefix, Path work) {
      Database db = Database.open(url, Optional.of(postgres.password()), 4, Duration.ofSeconds(3));
      S3BlobStore blobs = minio.newStore(prefix);
      BlobCache cache = new BlobCache(work.resolve("cache"), blobs, 1L << 30);
      JsonCodec json = new JsonCodec();
      Limits limits = new Limits(1L << 30, 100, 0, 64, 1L << 40, Duration.ofSeconds(60), Limits.KeepCheckpoints.ALL,
          Duration.ZERO, 16);
      DatasetIntake intake = new DatasetIntake(work.resolve("staging"), PARSERS, 1 << 20, limits,
          new DiskSpace(0, () -> Long.MAX_VALUE));
      Instances instances = Instances.register(db);
      return new Shared(db, blobs, instances,
          new SqlModelStore(db, blobs, cache, SqlModelStore.DEFAULT_LEASE_HOLD, json, work.resolve("staging")),
          new SqlDatasetStore(db, blobs, cache, SqlModelStore.DEFAULT_LEASE_HOLD, json, intake),
          new SqlJobStore(db, instances, json));
    }

    /** Rows per table. */
    Map<String, Long> counts() {
      return db.read("count", c -> {
        Map<String, Long> out = new TreeMap<>();
        for (String table : List.of("model_versions", "model_aliases", "datasets", "jobs")) {
          try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT count(*) FROM " + table)) {
            rs.next();
            out.put(table, rs.getLong(1));
          }
        }
        return out;
      });
    }

    @Override
    public void close() {
      models.close();
      datasets.close();
      instances.close();
      blobs.close();
      db.close();
    }
  }
}
