package dev.graft.server.core.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.graft.spi.ErrorKind;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The verifier passes a consistent store and names each kind of problem, one line each. */
class StoreVerifierTest {
  @TempDir Path root;
  private final JsonCodec json = new JsonCodec();
  private StoreFixture store;

  @BeforeEach
  void write() throws IOException {
    store = StoreFixture.write(root);
  }

  private StoreVerifier.Report verify() throws IOException {
    return new StoreVerifier(root).verify();
  }

  /** The one problem the store has now. */
  private String onlyProblem() throws IOException {
    List<String> problems = verify().problems();
    assertEquals(1, problems.size(), problems.toString());
    return problems.get(0);
  }

  @Test
  void aConsistentStorePassesAndIsNotChanged() throws IOException {
    Map<String, Long> before = snapshot();
    StoreVerifier.Report report = verify();
    assertEquals(List.of(), report.problems());
    assertEquals(1, report.models());
    assertEquals(2, report.datasets());
    assertEquals(2, report.jobs());
    assertEquals("store OK: 1 model version(s), 2 dataset(s), 2 job(s)", report.summary());
    assertEquals(before, snapshot(), "the verifier changes nothing");
  }

  @Test
  void manifestsRecordEveryFileWithItsChecksum() throws IOException {
    JsonObject manifest = manifest(StoreFixture.MODEL_DIR);
    JsonObject files = manifest.getAsJsonObject("files");
    assertEquals(List.of("head.bin", "tokenizer/vocab.txt"), List.copyOf(files.keySet()));
    assertEquals(ManifestFiles.sha256(root.resolve(StoreFixture.MODEL_DIR + "/head.bin")),
        files.getAsJsonObject("head.bin").get("sha256").getAsString());
    JsonObject idx = manifest("datasets/" + store.idxDatasetId).getAsJsonObject("files");
    assertEquals(List.of("data.images", "data.labels"), List.copyOf(idx.keySet()));
    assertEquals(24, idx.getAsJsonObject("data.images").get("size").getAsLong());
  }

  @Test
  void aMissingModelFile() throws IOException {
    Files.delete(root.resolve(StoreFixture.MODEL_DIR + "/tokenizer/vocab.txt"));
    assertEquals("models/sentiment/1/tokenizer/vocab.txt: missing (the manifest records 4 bytes)", onlyProblem());
  }

  @Test
  void aModelFileWithTheWrongChecksum() throws IOException {
    Path head = root.resolve(StoreFixture.MODEL_DIR + "/head.bin");
    Files.writeString(head, "weights of the HEAD"); // same size
    String problem = onlyProblem();
    assertTrue(problem.startsWith("models/sentiment/1/head.bin: sha256 " + ManifestFiles.sha256(head)
        + ", the manifest records "), problem);
  }

  @Test
  void aModelFileOfTheWrongSizeAndAFileNotInTheManifest() throws IOException {
    Files.writeString(root.resolve(StoreFixture.MODEL_DIR + "/head.bin"), "!", StandardOpenOption.APPEND);
    Files.writeString(root.resolve(StoreFixture.MODEL_DIR + "/extra.bin"), "?");
    assertEquals(List.of("models/sentiment/1/head.bin: 20 bytes, the manifest records 19",
        "models/sentiment/1/extra.bin: not in the manifest"), verify().problems());
  }

  @Test
  void aManifestWrittenBeforeFilesWereRecordedIsCheckedBySize() throws IOException {
    JsonObject manifest = manifest(StoreFixture.MODEL_DIR);
    manifest.remove("files");
    Files.writeString(root.resolve(StoreFixture.MODEL_DIR + "/manifest.json"), manifest.toString());
    assertEquals(List.of(), verify().problems());
    Files.writeString(root.resolve(StoreFixture.MODEL_DIR + "/head.bin"), "!", StandardOpenOption.APPEND);
    assertEquals("models/sentiment/1: files total 24 bytes, the manifest records 23", onlyProblem());
  }

  @Test
  void anUnreadableManifest() throws IOException {
    Files.writeString(root.resolve(StoreFixture.MODEL_DIR + "/manifest.json"), "{\"name\": ");
    assertTrue(onlyProblem().startsWith("models/sentiment/1/manifest.json: unreadable: "));
  }

  @Test
  void aDatasetPartWithTheWrongChecksum() throws IOException {
    Path labels = root.resolve("datasets/" + store.idxDatasetId + "/data.labels");
    byte[] bytes = Files.readAllBytes(labels);
    bytes[bytes.length - 1] = 9;
    Files.write(labels, bytes);
    assertTrue(onlyProblem().startsWith("datasets/" + store.idxDatasetId + "/data.labels: sha256 "));
  }

  @Test
  void anOlderDatasetManifestIsCheckedByItsOverallHash() throws IOException {
    Path dir = root.resolve("datasets/" + store.datasetId);
    JsonObject manifest = manifest("datasets/" + store.datasetId);
    manifest.remove("files");
    Files.writeString(dir.resolve("manifest.json"), manifest.toString());
    assertEquals(List.of(), verify().problems());
    byte[] data = Files.readAllBytes(dir.resolve("data"));
    data[3] = 'X';
    Files.write(dir.resolve("data"), data);
    assertTrue(onlyProblem().startsWith("datasets/" + store.datasetId + "/data: sha256 "));
  }

  @Test
  void orphansLeftByADeadInstance() throws IOException {
    String dead = StoreFixture.deadInstance(root);
    Files.writeString(root.resolve("jobs").resolve(StoreFixture.tempName("job-1.json", dead)), "{");
    Files.createDirectories(root.resolve("staging").resolve(dead));
    Files.createDirectories(root.resolve("models/sentiment/2"));
    Files.createDirectories(root.resolve("datasets/ds-00000000000f"));
    Files.writeString(root.resolve("jobs/job-1.cancel"), "now");
    List<String> problems = verify().problems();
    assertEquals(List.of(
        "staging/" + dead + ": left over: staging entry of instance " + dead + ", which is not running",
        "models/sentiment/2: left over: no manifest.json and no .deleted marker (a publish or delete cut short; 0"
            + " file(s))",
        "datasets/ds-00000000000f: left over: no manifest.json (an upload's publish cut short)",
        "jobs/job-1.cancel: left over: cancel request for job job-1, which is SUCCEEDED"),
        problems.subList(0, 4));
    assertEquals(5, problems.size(), problems.toString());
    assertTrue(problems.get(4).matches("jobs/\\.job-1\\.json\\..*\\.tmp: left over: temporary file of instance "
        + dead + ", which is not running"), problems.get(4));
  }

  @Test
  void aLiveInstancesWorkInProgressIsNoProblem() throws IOException {
    try (StoreLayout live = new StoreLayout(root)) {
      Files.writeString(root.resolve("jobs").resolve(StoreFixture.tempName("job-1.json", live.instanceId())), "{");
      Files.createDirectories(root.resolve("models/sentiment/2")); // maybe its publish in progress
      Files.writeString(live.staging().resolve("upload"), "x");
      new LocalJobStore(live, json).save(JobStoreTest.job("job-3", JobState.RUNNING, Instant.EPOCH));
      assertEquals(List.of(), verify().problems());
    }
  }

  @Test
  void aJobLeftRunningByADeadServer() throws IOException {
    try (StoreLayout crashed = new StoreLayout(root)) {
      new LocalJobStore(crashed, json).save(JobStoreTest.job("job-3", JobState.RUNNING, Instant.EPOCH));
    }
    assertEquals("jobs/job-3.json: RUNNING, but the server that ran it is gone (not recovered yet: start a server"
        + " on this store)", onlyProblem());
  }

  @Test
  void aFailedJobWithoutAReasonAndATerminalJobWithoutAnEndTime() throws IOException {
    try (StoreLayout layout = new StoreLayout(root)) {
      JobStore jobs = new LocalJobStore(layout, json);
      jobs.save(JobStoreTest.job("job-3", JobState.FAILED, Instant.EPOCH).withEndTime(Instant.EPOCH));
      jobs.save(JobStoreTest.job("job-4", JobState.CANCELLED, Instant.EPOCH)
          .withError(new JobError(ErrorKind.CANCELLED, "JOB_CANCELLED", "cancelled")));
    }
    assertEquals(List.of("jobs/job-3.json: FAILED without an error reason",
        "jobs/job-4.json: CANCELLED without an end time"), verify().problems().stream().sorted().toList());
  }

  @Test
  void aModelWhoseJobSaysItFailed() throws IOException {
    // the state this verifier exists for: the model was published, its job recorded FAILED
    try (StoreLayout layout = new StoreLayout(root)) {
      new LocalJobStore(layout, json).save(JobStoreTest.job("job-1", JobState.FAILED, Instant.EPOCH)
          .withEndTime(Instant.EPOCH)
          .withError(new JobError(ErrorKind.UNAVAILABLE, "SERVER_RESTARTED", "server restarted")));
    }
    assertEquals("models/sentiment/1/manifest.json: trained by job job-1, which is FAILED with result_model ''"
        + " (the model and its job disagree)", onlyProblem());
  }

  @Test
  void aSucceededJobWhoseModelDoesNotExist() throws IOException {
    try (StoreLayout layout = new StoreLayout(root)) {
      new LocalJobStore(layout, json).save(JobStoreTest.job("job-3", JobState.SUCCEEDED, Instant.EPOCH)
          .withEndTime(Instant.EPOCH).withResultModel("gone@1"));
    }
    assertEquals("jobs/job-3.json: SUCCEEDED with result_model gone@1, which does not exist (and was not"
        + " deleted)", onlyProblem());
  }

  @Test
  void aSucceededJobWhoseModelWasDeletedSinceIsFine() throws IOException {
    try (StoreLayout layout = new StoreLayout(root)) {
      new LocalModelStore(layout, json).delete("sentiment@1");
    }
    assertEquals(List.of(), verify().problems());
  }

  @Test
  void notAStore() {
    IOException e = assertThrows(IOException.class, () -> new StoreVerifier(root.resolve("nope")).verify());
    assertTrue(e.getMessage().endsWith("is not a Graft store (no models/ or jobs/ folder)"), e.getMessage());
  }

  private JsonObject manifest(String dir) throws IOException {
    return JsonParser.parseString(Files.readString(root.resolve(dir).resolve("manifest.json"), StandardCharsets.UTF_8))
        .getAsJsonObject();
  }

  /** Every path under the store with its modification time. */
  private Map<String, Long> snapshot() throws IOException {
    Map<String, Long> out = new TreeMap<>();
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p : paths.toList()) {
        out.put(root.relativize(p).toString(), Files.getLastModifiedTime(p).toMillis());
      }
    }
    return out;
  }
}
