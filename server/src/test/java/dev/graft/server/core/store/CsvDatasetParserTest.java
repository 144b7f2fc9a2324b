package dev.graft.server.core.store;

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
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CsvDatasetParserTest {
  @TempDir Path dir;
  private final CsvDatasetParser parser = new CsvDatasetParser();

  private List<Example> parse(String text, Map<String, String> options) throws IOException {
    Path file = dir.resolve("data");
    Files.write(file, text.getBytes(StandardCharsets.UTF_8));
    return parser.parse(Map.of("", file), new DatasetSpecRecord("d", "nlp", DatasetFormat.CSV, null, options));
  }

  private GraftException error(String text, Map<String, String> options) {
    return assertThrows(GraftException.class, () -> parse(text, options));
  }

  @Test
  void parsesQuotesEscapedQuotesAndLineBreaksInQuotes() throws IOException {
    List<Example> ex = parse(
        "\uFEFFid,text,label\r\n"
            + "1,plain,pos\r\n"
            + "2,\"with, comma\",neg\n"
            + "\n"
            + "3,\"she said \"\"hi\"\"\",pos\n"
            + "4,\"two\nlines\",\"neg\"\n"
            + "5,,pos",
        Map.of());
    assertEquals(5, ex.size());
    assertEquals(new ModelInput.Text("plain", ""), ex.get(0).input());
    assertEquals(new Target.Label("pos"), ex.get(0).target());
    assertEquals(new ModelInput.Text("with, comma", ""), ex.get(1).input());
    assertEquals(new ModelInput.Text("she said \"hi\"", ""), ex.get(2).input());
    assertEquals(new ModelInput.Text("two\nlines", ""), ex.get(3).input());
    assertEquals(new Target.Label("neg"), ex.get(3).target());
    assertEquals(new ModelInput.Text("", ""), ex.get(4).input());
  }

  @Test
  void optionsChooseColumnsAndDelimiter() throws IOException {
    List<Example> ex = parse("q1\tq2\tscore\nhow\twhat\t0.5\n",
        Map.of("delimiter", "\\t", "text_column", "q1", "pair_column", "q2", "value_column", "score"));
    assertEquals(new ModelInput.Text("how", "what"), ex.get(0).input());
    assertEquals(new Target.Value(0.5f), ex.get(0).target());
    List<Example> implicit = parse("text,value\na,1\nb,2.5\n", Map.of());
    assertEquals(new Target.Value(2.5f), implicit.get(1).target());
    List<Example> semi = parse("sentence;class\nhi;greet\n",
        Map.of("delimiter", ";", "text_column", "sentence", "label_column", "class"));
    assertEquals(new Target.Label("greet"), semi.get(0).target());
  }

  @Test
  void unterminatedQuoteNamesTheLineWhereItOpens() {
    GraftException e = error("text,label\na,pos\n\"never closed,neg\nb,pos\n", Map.of());
    assertEquals(ErrorKind.INVALID_ARGUMENT, e.kind());
    assertEquals("INVALID_DATASET_RECORD", e.reason());
    assertEquals("data[line 3]", e.field());
    assertTrue(e.getMessage().startsWith("line 3:"), e.getMessage());
  }

  @Test
  void badRowsNameLineAndColumn() {
    // line numbers count physical lines, so a record after a two-line field is on line 4
    GraftException count = error("text,label\n\"a\nb\",x\nc\n", Map.of());
    assertEquals("data[line 4]", count.field());
    GraftException label = error("text,label\na,x\nb,\n", Map.of());
    assertEquals("data[line 3].label", label.field());
    GraftException value = error("text,value\na,1\nb,lots\n", Map.of());
    assertEquals("data[line 3].value", value.field());
    assertTrue(value.getMessage().contains("lots"), value.getMessage());
    assertEquals("data[line 2]", error("text,label\na\"b,x\n", Map.of()).field());
    assertEquals("data[line 2]", error("text,label\n\"a\"b,x\n", Map.of()).field());
  }

  @Test
  void missingColumnNamesTheHeaderLineAndTheOption() {
    GraftException e = error("sentence,label\nhi,x\n", Map.of());
    assertEquals("data[line 1].text", e.field());
    assertTrue(e.getMessage().contains("text_column"), e.getMessage());
    assertEquals("data[line 1].class", error("text,label\nhi,x\n", Map.of("label_column", "class")).field());
  }

  @Test
  void badDelimiterIsRefusedBeforeUpload() {
    GraftException e = assertThrows(GraftException.class,
        () -> parser.validate(new DatasetSpecRecord("d", "", DatasetFormat.CSV, null, Map.of("delimiter", ";;"))));
    assertEquals("spec.options[delimiter]", e.field());
  }
}
