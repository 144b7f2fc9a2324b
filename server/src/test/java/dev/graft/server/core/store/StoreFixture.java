package dev.graft.server.core.store;

import dev.graft.spi.ErrorKind;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;

/**
 * A small consistent store, written through the real stores by an instance that then closes (as a
 * stopped server): model {@code sentiment@1} trained by SUCCEEDED job {@code job-1}, a FAILED job
 * {@code job-2}, a one-part JSONL dataset and a two-part IDX dataset.
 */
final class StoreFixture {
  static final String MODEL_DIR = "models/sentiment/1";

  final Path root;
  final String datasetId;
  final String idxDatasetId;

  private StoreFixture(Path root, String datasetId, String idxDatasetId) {
    this.root = root;
    this.datasetId = datasetId;
    this.idxDatasetId = idxDatasetId;
  }

  static StoreFixture write(Path root) throws IOException {
    JsonCodec json = new JsonCodec();
    try (StoreLayout layout = new StoreLayout(root)) {
      ModelStore models = new LocalModelStore(layout, json);
      Path staged = models.newStagingDirectory();
      Files.writeString(staged.resolve("head.bin"), "weights of the head");
      Files.createDirectories(staged.resolve("tokenizer"));
      Files.writeString(staged.resolve("tokenizer/vocab.txt"), "a\nb\n");
      ModelRecord model = models.create(ModelStoreTest.draft("sentiment"), staged); // trained by job-1
      JobStore jobs = new LocalJobStore(layout, json);
      Instant t = Instant.parse("2025-01-01T00:00:00Z");
      jobs.save(JobStoreTest.job("job-1", JobState.SUCCEEDED, t).withResultModel(model.ref())
          .withEndTime(t.plusSeconds(60)));
      jobs.save(JobStoreTest.job("job-2", JobState.FAILED, t).withEndTime(t.plusSeconds(5))
          .withError(new JobError(ErrorKind.INVALID_ARGUMENT, "BAD_DATA", "bad data")));
      DatasetStore datasets = new LocalDatasetStore(layout, json, Map.of(
          DatasetFormat.JSONL, new JsonlDatasetParser(), DatasetFormat.IDX, new IdxDatasetParser()));
      String text = "{\"text\": \"a\", \"label\": \"pos\"}\n{\"text\": \"b\", \"label\": \"neg\"}\n";
      DatasetRecord jsonl;
      try (DatasetUpload up = datasets.begin(new DatasetSpecRecord("tiny", "nlp", DatasetFormat.JSONL, null,
          Map.of()), "alice")) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        up.write("", bytes, 0, 10);
        up.write("", bytes, 10, bytes.length - 10);
        jsonl = up.commit();
      }
      DatasetRecord idx;
      try (DatasetUpload up = datasets.begin(new DatasetSpecRecord("digits", "vision", DatasetFormat.IDX, null,
          Map.of()), "alice")) {
        byte[] images = idxImages();
        byte[] labels = idxLabels();
        // interleaved, as a client may send them
        up.write("images", images, 0, 8);
        up.write("labels", labels, 0, labels.length);
        up.write("images", images, 8, images.length - 8);
        idx = up.commit();
      }
      return new StoreFixture(root, jsonl.id(), idx.id());
    }
  }

  /** Two 2×2 grey images. */
  private static byte[] idxImages() {
    return new byte[] {0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2, 1, 2, 3, 4, 5, 6, 7, 8};
  }

  private static byte[] idxLabels() {
    return new byte[] {0, 0, 8, 1, 0, 0, 0, 2, 3, 7};
  }

  /** The id of a store instance that ran and is gone (its lock released, its staging wiped). */
  static String deadInstance(Path root) {
    try (StoreLayout gone = new StoreLayout(root)) {
      return gone.instanceId();
    }
  }

  /** The name {@link AtomicFiles#write} gives a temporary file of {@code target} by {@code owner} ("" for none). */
  static String tempName(String target, String owner) {
    return "." + target + "." + UUID.randomUUID() + (owner.isEmpty() ? "" : "." + owner) + ".tmp";
  }

  /** Makes {@code path} look last modified {@code ago}. */
  static void age(Path path, Duration ago) throws IOException {
    Files.setLastModifiedTime(path, FileTime.from(Instant.now().minus(ago)));
  }
}
