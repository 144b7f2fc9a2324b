package dev.graft.server.core.store.sql;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.server.core.store.DatasetFormat;
import dev.graft.server.core.store.DatasetRecord;
import dev.graft.server.core.store.DatasetSpecRecord;
import dev.graft.server.core.store.DatasetStore;
import dev.graft.server.core.store.DatasetUpload;
import dev.graft.spi.ErrorKind;
import dev.graft.spi.Example;
import dev.graft.spi.GraftException;
import dev.graft.spi.ModelInput;
import dev.graft.spi.Target;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What every {@link DatasetStore} backend guarantees, checked on two replicas of one store:
 * uploads read back on the other replica (one part and several), addressing by name, deletion seen
 * everywhere, and the per-principal quota counted across replicas. Both replicas allow
 * {@link #MAX_PER_PRINCIPAL} datasets per principal.
 */
abstract class DatasetStoreContract {
  static final int MAX_PER_PRINCIPAL = 3;
  static final String TEXT = "{\"text\": \"a\", \"label\": \"pos\"}\n{\"text\": \"b\", \"label\": \"neg\"}\n"
      + "{\"text\": \"c\", \"label\": \"pos\"}\n";

  abstract DatasetStore replicaA();

  abstract DatasetStore replicaB();

  static DatasetRecord upload(DatasetStore store, String name, String text, String principal) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    try (DatasetUpload up = store.begin(new DatasetSpecRecord(name, "nlp", DatasetFormat.JSONL, null, Map.of()),
        principal)) {
      for (int off = 0; off < bytes.length; off += 7) {
        up.write("", bytes, off, Math.min(7, bytes.length - off));
      }
      return up.commit();
    }
  }

  @Test
  void anUploadOnOneReplicaReadsBackOnTheOther() throws Exception {
    DatasetRecord r = upload(replicaA(), "reviews", TEXT, "alice");
    assertTrue(r.id().matches("ds-[0-9a-f]{12}"), r.id());
    assertEquals(3, r.examples());
    DatasetStore b = replicaB();
    assertEquals(r, b.get(r.id()));
    assertEquals(r, b.get("reviews"));
    List<Example> examples = b.examples(r.id());
    assertEquals(3, examples.size());
    assertEquals(new Example(new ModelInput.Text("b", ""), new Target.Label("neg")), examples.get(1));
    assertEquals(replicaA().examples(r.id()), examples);
    Path dir = b.directory(r);
    assertEquals(TEXT, Files.readString(dir.resolve("data")));
    assertEquals(List.of(r), b.list());
    assertEquals(List.of("reviews"), b.names());
  }

  @Test
  void aDatasetOfSeveralPartsReadsBackOnTheOther() throws Exception {
    byte[] images = {0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2, 1, 2, 3, 4, 5, 6, 7, 8};
    byte[] labels = {0, 0, 8, 1, 0, 0, 0, 2, 3, 7};
    DatasetRecord r;
    try (DatasetUpload up = replicaA().begin(new DatasetSpecRecord("digits", "vision", DatasetFormat.IDX, null,
        Map.of()), "alice")) {
      up.write("images", images, 0, 8);
      up.write("labels", labels, 0, labels.length);
      up.write("images", images, 8, images.length - 8);
      r = up.commit();
    }
    DatasetStore b = replicaB();
    List<Example> examples = b.examples("digits");
    assertEquals(2, examples.size());
    assertEquals(new Target.Label("7"), examples.get(1).target());
    Path dir = b.directory(b.get(r.id()));
    assertArrayEquals(images, Files.readAllBytes(dir.resolve("data.images")));
    assertArrayEquals(labels, Files.readAllBytes(dir.resolve("data.labels")));
  }

  @Test
  void aNameMeansItsNewestDataset() throws Exception {
    DatasetRecord first = upload(replicaA(), "reviews", TEXT, "alice");
    Thread.sleep(5);
    DatasetRecord second = upload(replicaB(), "reviews", "{\"text\": \"z\", \"label\": \"pos\"}\n", "alice");
    assertEquals(second, replicaA().get("reviews"));
    assertEquals(first, replicaA().get(first.id()));
    assertEquals(List.of(first, second), replicaB().list());
    assertEquals(1, replicaA().examples("reviews").size());
  }

  @Test
  void aDeletedDatasetIsGoneOnEveryReplica() {
    DatasetRecord r = upload(replicaA(), "reviews", TEXT, "alice");
    assertEquals(3, replicaB().examples(r.id()).size()); // B parsed and cached them
    assertEquals(r, replicaA().delete("reviews"));
    DatasetStore b = replicaB();
    assertTrue(b.find(r.id()).isEmpty());
    assertTrue(b.find("reviews").isEmpty());
    GraftException gone = assertThrows(GraftException.class, () -> b.examples(r.id()));
    assertEquals(ErrorKind.NOT_FOUND, gone.kind());
    assertEquals(DatasetStore.DATASET_NOT_FOUND, gone.reason());
    GraftException again = assertThrows(GraftException.class, () -> b.delete(r.id()));
    assertEquals(ErrorKind.NOT_FOUND, again.kind());
    assertTrue(b.list().isEmpty());
  }

  @Test
  void theQuotaCountsThePrincipalsDatasetsOnEveryReplica() {
    upload(replicaA(), "one", TEXT, "alice");
    upload(replicaB(), "two", TEXT, "alice");
    upload(replicaA(), "three", TEXT, "alice");
    GraftException full = assertThrows(GraftException.class, () -> upload(replicaB(), "four", TEXT, "alice"));
    assertEquals(ErrorKind.RESOURCE_EXHAUSTED, full.kind());
    assertEquals("TOO_MANY_DATASETS", full.reason());
    upload(replicaB(), "other", TEXT, "bob");
    replicaB().delete("two");
    upload(replicaA(), "four", TEXT, "alice");
    assertEquals(4, replicaB().list().size());
  }
}
