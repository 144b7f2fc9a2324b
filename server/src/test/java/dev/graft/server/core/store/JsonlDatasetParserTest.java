package dev.graft.server.core.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.spi.ErrorKind;
import dev.graft.spi.Example;
import dev.graft.spi.GraftException;
import dev.graft.spi.ModelInput;
import dev.graft.spi.Target;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JsonlDatasetParserTest {
  @TempDir Path dir;
  private final JsonlDatasetParser parser = new JsonlDatasetParser();

  private List<Example> parse(String text, Map<String, String> options) throws IOException {
    Path file = dir.resolve("data");
    Files.write(file, text.getBytes(StandardCharsets.UTF_8));
    return parser.parse(Map.of("", file), new DatasetSpecRecord("d", "nlp", DatasetFormat.JSONL, null, options));
  }

  private GraftException error(String text) {
    return assertThrows(GraftException.class, () -> parse(text, Map.of()));
  }

  @Test
  void parsesEveryInputAndTargetKind() throws IOException {
    String png = Base64.getEncoder().encodeToString(new byte[] {(byte) 0x89, 'P', 'N', 'G'});
    List<Example> ex = parse(
        "{\"text\": \"good\", \"label\": \"pos\", \"id\": 7}\r\n"
            + "\n"
            + "{\"text\": \"q\", \"pair\": \"a\", \"label\": 3}\n"
            + "{\"series\": [1, 2.5, 3, 4], \"channels\": 2, \"label\": \"up\"}\n"
            + "{\"image\": \"" + png + "\", \"label\": \"cat\"}\n",
        Map.of());
    assertEquals(4, ex.size());
    assertEquals(new ModelInput.Text("good", ""), ex.get(0).input());
    assertEquals(new Target.Label("pos"), ex.get(0).target());
    assertEquals(new ModelInput.Text("q", "a"), ex.get(1).input());
    assertEquals(new Target.Label("3"), ex.get(1).target());
    ModelInput.Series s = (ModelInput.Series) ex.get(2).input();
    assertArrayEquals(new float[] {1, 2.5f, 3, 4}, s.values());
    assertEquals(2, s.channels());
    assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, ((ModelInput.Image) ex.get(3).input()).encoded());

    List<Example> reg = parse("{\"text\": \"a\", \"value\": 1.5}\n{\"text\": \"b\", \"value\": -2}", Map.of());
    assertEquals(new Target.Value(-2f), reg.get(1).target());
    List<Example> fc = parse("{\"series\": [1, 2, 3], \"values\": [4, 5]}", Map.of());
    assertArrayEquals(new float[] {4, 5}, ((Target.Values) fc.get(0).target()).values());
  }

  @Test
  void optionsRenameFields() throws IOException {
    List<Example> ex = parse("{\"sentence\": \"hi\", \"class\": \"greet\"}",
        Map.of("text_field", "sentence", "label_field", "class"));
    assertEquals(new ModelInput.Text("hi", ""), ex.get(0).input());
    assertEquals(new Target.Label("greet"), ex.get(0).target());
  }

  @Test
  void missingLabelNamesTheLine() {
    GraftException e = error("{\"text\": \"a\", \"label\": \"x\"}\n{\"text\": \"b\", \"label\": \"y\"}\n{\"text\": \"c\"}\n");
    assertEquals(ErrorKind.INVALID_ARGUMENT, e.kind());
    assertEquals("INVALID_DATASET_RECORD", e.reason());
    assertEquals("data[line 3].label", e.field());
    assertTrue(e.getMessage().startsWith("line 3: missing \"label\""), e.getMessage());
  }

  @Test
  void badJsonNamesTheLineCountingBlankLines() {
    GraftException e = error("{\"text\": \"a\", \"label\": \"x\"}\n\n{\"text\": \"b\", \"label\": \"y\"}\n\n"
        + "{\"text\": \"c\", \"label\": }\n");
    assertEquals("data[line 5]", e.field());
    assertTrue(e.getMessage().startsWith("line 5: not valid JSON"), e.getMessage());
    assertEquals("data[line 1]", error("{'text': 'lenient'}").field());
    assertEquals("data[line 1]", error("{\"text\": \"a\", \"label\": \"x\"} trailing").field());
    assertEquals("data[line 1]", error("[1, 2]").field());
  }

  @Test
  void wrongTypesAndShapesNameTheField() {
    assertEquals("data[line 1].text", error("{\"text\": 5, \"label\": \"x\"}").field());
    assertEquals("data[line 1].label", error("{\"text\": \"a\", \"label\": true}").field());
    assertEquals("data[line 1].label", error("{\"text\": \"a\", \"label\": \"\"}").field());
    assertEquals("data[line 1].value", error("{\"text\": \"a\", \"value\": \"high\"}").field());
    assertEquals("data[line 1].series", error("{\"series\": [1, \"x\"], \"label\": \"a\"}").field());
    assertEquals("data[line 1].series", error("{\"series\": [], \"label\": \"a\"}").field());
    assertEquals("data[line 1].series", error("{\"series\": [1, 2, 3], \"channels\": 2, \"label\": \"a\"}").field());
    assertEquals("data[line 1].image", error("{\"image\": \"***\", \"label\": \"a\"}").field());
    assertEquals("data[line 1]", error("{\"label\": \"a\"}").field());
    assertEquals("data[line 1].series", error("{\"text\": \"a\", \"series\": [1], \"label\": \"a\"}").field());
    assertEquals("data[line 1].value", error("{\"text\": \"a\", \"label\": \"a\", \"value\": 1}").field());
  }

  @Test
  void mixedTargetsNameTheFirstLineThatDiffers() {
    GraftException e = error("{\"text\": \"a\", \"label\": \"x\"}\n{\"text\": \"b\", \"value\": 2}\n");
    assertEquals("data[line 2].value", e.field());
    assertTrue(e.getMessage().contains("line 1"), e.getMessage());
  }

  @Test
  void invalidUtf8NamesTheLine() throws IOException {
    Path file = dir.resolve("data");
    byte[] good = "{\"text\": \"a\", \"label\": \"x\"}\n".getBytes(StandardCharsets.UTF_8);
    byte[] bad = {'{', '"', 't', 'e', 'x', 't', '"', ':', '"', (byte) 0xC3, '"', '}', '\n'};
    byte[] all = new byte[good.length + bad.length];
    System.arraycopy(good, 0, all, 0, good.length);
    System.arraycopy(bad, 0, all, good.length, bad.length);
    Files.write(file, all);
    GraftException e = assertThrows(GraftException.class,
        () -> parser.parse(Map.of("", file), new DatasetSpecRecord("d", "", DatasetFormat.JSONL, null, Map.of())));
    assertEquals("data[line 2]", e.field());
  }

  @Test
  void emptyInputGivesNoExamples() throws IOException {
    assertEquals(List.of(), parse("\n  \n", Map.of()));
    assertEquals(List.of(), parser.parse(Map.of(), new DatasetSpecRecord("d", "", DatasetFormat.JSONL, null, Map.of())));
  }
}
