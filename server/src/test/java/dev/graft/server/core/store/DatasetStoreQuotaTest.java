package dev.graft.server.core.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.server.core.Limits;
import dev.graft.spi.ErrorKind;
import dev.graft.spi.GraftException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The dataset quotas of {@link DatasetStore}: size as bytes arrive, datasets per principal, free disk. */
class DatasetStoreQuotaTest {
  private static final String ROW = "{\"text\": \"a\", \"label\": \"pos\"}\n{\"text\": \"b\", \"label\": \"neg\"}\n";

  @TempDir Path root;
  private final JsonCodec json = new JsonCodec();
  private final Map<DatasetFormat, DatasetParser> parsers = Map.of(DatasetFormat.JSONL, new JsonlDatasetParser());
  /** The free space the fake file system reports. */
  private final AtomicLong free = new AtomicLong(Long.MAX_VALUE / 2);
  private StoreLayout layout;

  @BeforeEach
  void open() {
    layout = new StoreLayout(root);
  }

  @AfterEach
  void close() {
    layout.close();
  }

  private DatasetStore store(long maxBytes, int maxDatasets, long minFree) {
    Limits limits = new Limits(maxBytes, maxDatasets, minFree, 64, 1L << 40, Duration.ofSeconds(60),
        Limits.KeepCheckpoints.BEST, Duration.ofDays(7), 16);
    return new LocalDatasetStore(layout, json, parsers, 1 << 20, limits, new DiskSpace(minFree, free::get));
  }

  private static DatasetSpecRecord spec(String name) {
    return new DatasetSpecRecord(name, "nlp", DatasetFormat.JSONL, null, Map.of());
  }

  private static GraftException refused(String reason, org.junit.jupiter.api.function.Executable call) {
    GraftException e = assertThrows(GraftException.class, call);
    assertEquals(ErrorKind.RESOURCE_EXHAUSTED, e.kind(), e.getMessage());
    assertEquals(reason, e.reason(), e.getMessage());
    return e;
  }

  /** Every file under this instance's staging folder (the folders of abandoned uploads included). */
  private List<Path> staged() throws IOException {
    try (Stream<Path> s = Files.walk(layout.staging())) {
      return s.filter(p -> !p.equals(layout.staging())).toList();
    }
  }

  @Test
  void uploadPassingMaxDatasetBytesIsRefusedAsBytesArriveAndDiscarded() throws IOException {
    byte[] row = ROW.getBytes(StandardCharsets.UTF_8);
    DatasetStore store = store(row.length * 3L, 100, 0);
    DatasetUpload up = store.begin(spec("big"), "alice");
    up.write("", row, 0, row.length);
    up.write("", row, 0, row.length);
    up.write("", row, 0, row.length); // exactly the limit: still fine
    assertEquals(1, staged().stream().filter(Files::isRegularFile).count(), "bytes are staged while they arrive");
    GraftException e = refused("DATASET_TOO_LARGE", () -> up.write("", row, 0, 1));
    assertTrue(e.getMessage().contains("max-dataset-bytes=" + row.length * 3L), e.getMessage());
    assertEquals(List.of(), staged(), "the staged part is deleted at the refusal, before close");
    assertEquals(ErrorKind.FAILED_PRECONDITION, assertThrows(GraftException.class,
        () -> up.write("", row, 0, row.length)).kind(), "the upload is finished");
    up.close();
    assertEquals(List.of(), store.list());

    try (DatasetUpload ok = store.begin(spec("small"), "alice")) {
      ok.write("", row, 0, row.length);
      assertEquals(2, ok.commit().examples(), "an upload within the limit still works");
    }
  }

  @Test
  void eachPrincipalMayHoldMaxDatasetsPerPrincipal() throws IOException {
    DatasetStore store = store(1 << 20, 2, 0);
    byte[] row = ROW.getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < 2; i++) {
      try (DatasetUpload up = store.begin(spec("a" + i), "alice")) {
        up.write("", row, 0, row.length);
        up.commit();
      }
    }
    GraftException e = refused("TOO_MANY_DATASETS", () -> store.begin(spec("a2"), "alice"));
    assertTrue(e.getMessage().contains("max-datasets-per-principal=2"), e.getMessage());
    assertTrue(e.getMessage().contains("'alice'"), e.getMessage());
    assertEquals(List.of(), staged(), "nothing staged for a refused upload");
    try (DatasetUpload up = store.begin(spec("b0"), "bob")) {
      up.write("", row, 0, row.length);
      up.commit();
    }
    store.delete("a0");
    try (DatasetUpload up = store.begin(spec("a2"), "alice")) {
      up.write("", row, 0, row.length);
      up.commit();
    }
    assertEquals(List.of("a1", "a2", "b0"), store.list().stream().map(DatasetRecord::name).toList());
  }

  @Test
  void lowFreeSpaceRefusesAtTheStartAndWhileBytesArrive() throws IOException {
    long minFree = 100L << 20;
    DatasetStore store = store(Long.MAX_VALUE, 100, minFree);
    free.set(minFree - 1);
    GraftException e = refused("DISK_FULL", () -> store.begin(spec("d"), "alice"));
    assertTrue(e.getMessage().contains("min-free-disk-bytes=" + minFree), e.getMessage());
    assertEquals(List.of(), staged());

    free.set(minFree + (64L << 20));
    DatasetUpload up = store.begin(spec("d"), "alice");
    byte[] mib = new byte[1 << 20];
    for (int i = 0; i < 20; i++) {
      up.write("", mib, 0, mib.length); // checks at 8 and 16 MiB pass
    }
    free.set(minFree + (512L << 10)); // the disk filled behind the upload: 1 more MiB would not fit
    int written = 20;
    GraftException full = null;
    while (full == null && written < 40) {
      try {
        up.write("", mib, 0, mib.length);
        written++;
      } catch (GraftException g) {
        full = g;
      }
    }
    assertTrue(full != null, "the upload was never refused");
    assertEquals("DISK_FULL", full.reason(), full.getMessage());
    assertEquals(23, written, "refused at the next 8 MiB check (the 24th MiB), not on every chunk");
    assertEquals(List.of(), staged());
    up.close();
    assertEquals(List.of(), store.list());
  }
}
