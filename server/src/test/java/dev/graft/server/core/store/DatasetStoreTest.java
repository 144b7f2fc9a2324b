package dev.graft.server.core.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.spi.ErrorKind;
import dev.graft.spi.Example;
import dev.graft.spi.GraftException;
import dev.graft.spi.ModelInput;
import dev.graft.spi.Target;
import dev.graft.spi.Task;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetStoreTest {
  @TempDir Path root;
  private final JsonCodec json = new JsonCodec();
  private final Map<DatasetFormat, DatasetParser> parsers = Map.of(
      DatasetFormat.JSONL, new JsonlDatasetParser(),
      DatasetFormat.CSV, new CsvDatasetParser(),
      DatasetFormat.IDX, new IdxDatasetParser());
  private StoreLayout layout;
  private DatasetStore store;

  @BeforeEach
  void open() {
    layout = new StoreLayout(root);
    store = new LocalDatasetStore(layout, json, parsers);
  }

  @AfterEach
  void close() {
    layout.close();
  }

  private static DatasetSpecRecord spec(String name, DatasetFormat format, Task task) {
    return new DatasetSpecRecord(name, "nlp", format, task, Map.of());
  }

  /** Uploads {@code text} in chunks of 7 bytes. */
  private DatasetRecord upload(DatasetSpecRecord spec, String text) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    try (DatasetUpload up = store.begin(spec, "alice")) {
      for (int off = 0; off < bytes.length; off += 7) {
        up.write("", bytes, off, Math.min(7, bytes.length - off));
      }
      assertEquals(bytes.length, up.bytesWritten());
      return up.commit();
    }
  }

  private List<String> staged() throws IOException {
    return AtomicFilesTest.names(layout.staging());
  }

  @Test
  void commitStoresHashCountsAndExamples() throws Exception {
    String text = "{\"text\": \"a\", \"label\": \"pos\"}\n{\"text\": \"b\", \"label\": \"neg\"}\n"
        + "{\"text\": \"c\", \"label\": \"pos\"}\n";
    DatasetRecord r = upload(spec("reviews", DatasetFormat.JSONL, null), text);

    byte[] sent = text.getBytes(StandardCharsets.UTF_8);
    assertEquals(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(sent)), r.sha256());
    assertTrue(r.id().matches("ds-[0-9a-f]{12}"), r.id());
    assertEquals(3, r.examples());
    assertEquals(Task.CLASSIFICATION, r.task());
    assertEquals(List.of("neg", "pos"), r.labels());
    assertEquals(Map.of("neg", 1L, "pos", 2L), r.labelCounts());
    assertEquals(sent.length, r.sizeBytes());
    assertArrayEquals(sent, Files.readAllBytes(store.directory(r).resolve("data")));
    assertEquals(new Example(new ModelInput.Text("b", ""), new Target.Label("neg")), store.examples(r.id()).get(1));
    assertEquals(List.of(), staged());
  }

  @Test
  void reloadAfterRestartFindsByIdAndNameAndReparses() {
    DatasetRecord old = upload(spec("d", DatasetFormat.CSV, null), "text,label\nx,1\ny,10\nz,2\n");
    DatasetRecord newer = upload(spec("d", DatasetFormat.CSV, null), "text,label\nx,1\n");
    assertEquals(List.of("1", "2", "10"), old.labels(), "integer labels sort numerically");

    layout.close();
    layout = new StoreLayout(root);
    DatasetStore reopened = new LocalDatasetStore(layout, json, parsers);
    assertEquals(List.of(old, newer), reopened.list());
    assertEquals(old, reopened.get(old.id()));
    assertEquals(newer, reopened.get("d"), "a name means the newest");
    List<Example> ex = reopened.examples(old.id());
    assertEquals(3, ex.size());
    assertSame(ex, reopened.examples(old.id()), "cached");
  }

  @Test
  void deleteRemovesTheDataset() {
    DatasetRecord r = upload(spec("d", DatasetFormat.JSONL, null), "{\"text\": \"a\", \"value\": 1}");
    assertEquals(Task.REGRESSION, r.task());
    assertEquals(r, store.delete("d"));
    assertFalse(Files.exists(store.directory(r)));
    GraftException e = assertThrows(GraftException.class, () -> store.get(r.id()));
    assertEquals(ErrorKind.NOT_FOUND, e.kind());
    assertEquals("DATASET_NOT_FOUND", e.reason());
    assertEquals(ErrorKind.NOT_FOUND, assertThrows(GraftException.class, () -> store.examples(r.id())).kind());
  }

  @Test
  void emptyDatasetIsRejectedAndDiscarded() throws IOException {
    GraftException e = assertThrows(GraftException.class, () -> upload(spec("d", DatasetFormat.JSONL, null), "\n\n"));
    assertEquals(ErrorKind.INVALID_ARGUMENT, e.kind());
    assertEquals("EMPTY_DATASET", e.reason());
    assertEquals(List.of(), staged());
    assertEquals(List.of(), store.list());
  }

  @Test
  void badRecordsRejectTheUploadAndLeaveNothing() throws IOException {
    GraftException e = assertThrows(GraftException.class,
        () -> upload(spec("d", DatasetFormat.JSONL, null), "{\"text\": \"a\", \"label\": \"x\"}\n{\"text\": \"b\"}\n"));
    assertEquals("data[line 2].label", e.field());
    assertEquals(List.of(), staged());
    assertEquals(List.of(), AtomicFilesTest.names(layout.datasets()));
  }

  @Test
  void taskIsInferredOrChecked() {
    assertEquals(Task.FORECASTING,
        upload(spec("f", DatasetFormat.JSONL, null), "{\"series\": [1, 2], \"values\": [3]}").task());
    GraftException mismatch = assertThrows(GraftException.class,
        () -> upload(spec("f", DatasetFormat.JSONL, Task.REGRESSION), "{\"text\": \"a\", \"label\": \"x\"}"));
    assertEquals("spec.task", mismatch.field());
    assertEquals("TASK_MISMATCH", mismatch.reason());
    GraftException horizon = assertThrows(GraftException.class,
        () -> upload(spec("f", DatasetFormat.JSONL, null),
            "{\"series\": [1], \"values\": [3]}\n{\"series\": [1], \"values\": [3, 4]}"));
    assertEquals("INCONSISTENT_HORIZON", horizon.reason());
  }

  @Test
  void closeWithoutCommitDeletesStagedFiles() throws IOException {
    DatasetUpload up = store.begin(spec("d", DatasetFormat.JSONL, null), "alice");
    up.write("", new byte[] {'{'}, 0, 1);
    assertEquals(1, staged().size());
    up.close();
    assertEquals(List.of(), staged());
    GraftException e = assertThrows(GraftException.class, () -> up.write("", new byte[1], 0, 1));
    assertEquals(ErrorKind.FAILED_PRECONDITION, e.kind());
  }

  @Test
  void beginRefusesBadNamesFormatsAndParts() {
    GraftException name = assertThrows(GraftException.class, () -> store.begin(spec("Bad Name", DatasetFormat.CSV, null), "alice"));
    assertEquals("spec.name", name.field());
    assertEquals("INVALID_MODEL_NAME", name.reason());
    GraftException format = assertThrows(GraftException.class, () -> store.begin(spec("d", DatasetFormat.ZIP, null), "alice"));
    assertEquals(ErrorKind.UNIMPLEMENTED, format.kind());
    assertEquals("FORMAT_NOT_SUPPORTED", format.reason());
    assertTrue(format.getMessage().contains("JSONL") && format.getMessage().contains("CSV"), format.getMessage());
    try (DatasetUpload up = store.begin(spec("d", DatasetFormat.CSV, null), "alice")) {
      GraftException part = assertThrows(GraftException.class, () -> up.write("../x", new byte[1], 0, 1));
      assertEquals("chunk.part", part.field());
    }
  }

  @Test
  void idxPairBecomesImageTensorsWithDigitLabels() throws IOException {
    ByteArrayOutputStream images = new ByteArrayOutputStream();
    DataOutputStream im = new DataOutputStream(images);
    im.writeInt(0x00000803);
    im.writeInt(3);
    im.writeInt(2);
    im.writeInt(2);
    for (int i = 0; i < 12; i++) {
      im.writeByte(i * 20);
    }
    ByteArrayOutputStream labels = new ByteArrayOutputStream();
    DataOutputStream lb = new DataOutputStream(labels);
    lb.writeInt(0x00000801);
    lb.writeInt(3);
    lb.write(new byte[] {7, 1, 7});

    DatasetRecord r;
    try (DatasetUpload up = store.begin(spec("digits", DatasetFormat.IDX, null), "alice")) {
      up.write("images", images.toByteArray(), 0, images.size());
      up.write("labels", labels.toByteArray(), 0, labels.size());
      r = up.commit();
    }
    assertEquals(Map.of("1", 1L, "7", 2L), r.labelCounts());
    List<Example> ex = new LocalDatasetStore(layout, json, parsers, 0).examples(r.id());
    ModelInput.Tensor t = (ModelInput.Tensor) ex.get(2).input();
    assertEquals("uint8", t.dtype());
    assertArrayEquals(new long[] {2, 2}, t.shape());
    assertArrayEquals(new byte[] {(byte) 160, (byte) 180, (byte) 200, (byte) 220}, t.data());
    assertEquals(new Target.Label("7"), ex.get(2).target());

    try (DatasetUpload up = store.begin(spec("digits", DatasetFormat.IDX, null), "alice")) {
      up.write("images", images.toByteArray(), 0, images.size());
      GraftException missing = assertThrows(GraftException.class, up::commit);
      assertEquals("MISSING_PART", missing.reason());
    }
  }
}
