package dev.graft.server.api;

import static dev.graft.server.api.Assertions2.assertGraftError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.api.v1.Dataset;
import dev.graft.api.v1.DatasetFormat;
import dev.graft.api.v1.DatasetSpec;
import dev.graft.client.GraftClient;
import dev.graft.server.TestData;
import dev.graft.server.TestServer;
import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** UploadDataset, GetDataset, ListDatasets and DeleteDataset over an in-process server. */
class DatasetApiTest {
  @TempDir static Path store;
  @TempDir static Path files;
  static TestServer server;
  static GraftClient client;

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.inProcess(store);
    client = server.client();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  void uploadsJsonlWithLabelCountsAndSha256() throws Exception {
    String jsonl = "{\"text\":\"good\",\"label\":\"pos\"}\n{\"text\":\"bad\",\"label\":\"neg\"}\n"
        + "{\"text\":\"great\",\"label\":\"pos\"}\n";
    Path file = files.resolve("d.jsonl");
    Files.writeString(file, jsonl);
    Dataset d = client.uploadDataset("reviews", "nlp", DatasetFormat.DATASET_FORMAT_JSONL, file);
    assertEquals(3, d.getExamples());
    assertEquals(List.of("neg", "pos"), d.getLabelsList());
    assertEquals(Map.of("pos", 2L, "neg", 1L), d.getLabelCountsMap());
    assertEquals(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
        .digest(jsonl.getBytes(StandardCharsets.UTF_8))), d.getSha256());
    assertEquals(d, client.getDataset(d.getId()));
    assertEquals(d.getId(), client.getDataset("reviews").getId());
    assertTrue(client.listDatasets().stream().anyMatch(x -> x.getId().equals(d.getId())));
  }

  @Test
  void uploadsCsvWithNamedColumns() throws Exception {
    Path file = files.resolve("d.csv");
    Files.writeString(file, "sentence,sentiment\n\"fine, really\",pos\nawful,neg\n");
    Dataset d = client.uploadDataset(DatasetSpec.newBuilder().setName("csv-set").setDomain("nlp")
        .setFormat(DatasetFormat.DATASET_FORMAT_CSV)
        .putOptions("text_column", "sentence").putOptions("label_column", "sentiment").build(),
        List.of(new GraftClient.Part("", file)));
    assertEquals(2, d.getExamples());
  }

  @Test
  void uploadsInlineExamples() {
    Dataset d = client.uploadExamples("inline-set", "nlp", TestData.tinySentiment());
    assertEquals(16, d.getExamples());
    assertEquals(List.of("negative", "positive"), d.getLabelsList());
  }

  @Test
  void badLineIsNamedAndNothingIsStored() throws Exception {
    Path file = files.resolve("bad.jsonl");
    Files.writeString(file, "{\"text\":\"ok\",\"label\":\"a\"}\n{\"text\":\"ok\",\"label\":\"b\"}\n{\"text\":\"no label\"}\n");
    int before = client.listDatasets().size();
    var e = assertGraftError(Status.Code.INVALID_ARGUMENT, "INVALID_DATASET_RECORD", "line 3",
        () -> client.uploadDataset("bad", "nlp", DatasetFormat.DATASET_FORMAT_JSONL, file));
    assertTrue(e.getMessage().contains("line 3"), e.getMessage());
    Files.writeString(file, "{\"text\":\"ok\",\"label\":\"a\"}\n{\"text\": oops}\n");
    assertGraftError(Status.Code.INVALID_ARGUMENT, "INVALID_DATASET_RECORD", "line 2",
        () -> client.uploadDataset("bad", "nlp", DatasetFormat.DATASET_FORMAT_JSONL, file));
    assertEquals(before, client.listDatasets().size());
  }

  @Test
  void emptyAndUnsupportedUploadsAreRefused() throws Exception {
    Path empty = files.resolve("empty.jsonl");
    Files.writeString(empty, "\n");
    assertGraftError(Status.Code.INVALID_ARGUMENT, "EMPTY_DATASET",
        () -> client.uploadDataset("empty", "nlp", DatasetFormat.DATASET_FORMAT_JSONL, empty));
    assertGraftError(Status.Code.INVALID_ARGUMENT, "INVALID_DATASET_RECORD", "data",
        () -> client.uploadDataset("zip", "vision", DatasetFormat.DATASET_FORMAT_ZIP, empty));
    assertGraftError(Status.Code.INVALID_ARGUMENT, "UNKNOWN_DOMAIN", "spec.domain",
        () -> client.uploadDataset("nodomain", "audio", DatasetFormat.DATASET_FORMAT_JSONL, empty));
    assertGraftError(Status.Code.INVALID_ARGUMENT, "MISSING_FIELD", "spec.format",
        () -> client.uploadDataset("nofmt", "nlp", DatasetFormat.DATASET_FORMAT_UNSPECIFIED, empty));
  }

  @Test
  void unknownDatasetIsNotFoundAndDeleteRemoves() {
    assertGraftError(Status.Code.NOT_FOUND, "DATASET_NOT_FOUND", () -> client.getDataset("ds-000000000000"));
    Dataset d = client.uploadExamples("to-delete", "nlp", TestData.tinySentiment());
    client.deleteDataset(d.getId());
    assertGraftError(Status.Code.NOT_FOUND, "DATASET_NOT_FOUND", () -> client.getDataset(d.getId()));
  }
}
