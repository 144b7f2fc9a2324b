package dev.graft.server.core.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.spi.Example;
import dev.graft.spi.GraftException;
import dev.graft.spi.ModelInput;
import dev.graft.spi.Target;
import dev.graft.spi.Task;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SeriesCsvDatasetParserTest {
  @TempDir Path dir;
  private final CsvDatasetParser parser = new CsvDatasetParser();

  private List<Example> parse(String text, Task task, Map<String, String> options) throws IOException {
    Path file = dir.resolve("data");
    Files.write(file, text.getBytes(StandardCharsets.UTF_8));
    DatasetSpecRecord spec = new DatasetSpecRecord("d", "timeseries", DatasetFormat.CSV, task, options);
    parser.validate(spec);
    return parser.parse(Map.of("", file), spec);
  }

  private static float[] series(Example e) {
    return ((ModelInput.Series) e.input()).values();
  }

  @Test
  void longLayoutSortsByTimestampFillsGapsAndCutsForecastWindows() throws IOException {
    String csv = "date,value\n2000-01-03,3\n2000-01-01,1\n2000-01-02,\n2000-01-04,4\n"
        + "2000-01-05,NaN\n2000-01-06,6\n2000-01-07,7\n";
    List<Example> ex = parse(csv, null, Map.of("layout", "long", "timestamp_column", "date",
        "horizon", "2", "context_length", "3", "stride", "1"));
    // filled series: 1 2 3 4 5 6 7 → windows (ctx 3, h 2) start at 0, 1, 2
    assertEquals(3, ex.size());
    assertArrayEquals(new float[] {1, 2, 3}, series(ex.get(0)));
    assertArrayEquals(new float[] {4, 5}, ((Target.Values) ex.get(0).target()).values());
    assertArrayEquals(new float[] {3, 4, 5}, series(ex.get(2)));
    assertArrayEquals(new float[] {6, 7}, ((Target.Values) ex.get(2).target()).values());
  }

  @Test
  void longLayoutGroupsSeriesByIdWithLabelsAndChannels() throws IOException {
    String csv = "id,t,a,b,cls\nx,1,1,10,up\ny,1,5,50,down\nx,2,2,20,up\ny,2,4,40,down\n";
    List<Example> ex = parse(csv, null, Map.of("layout", "long", "series_id_column", "id",
        "timestamp_column", "t", "value_columns", "a,b", "label_column", "cls"));
    assertEquals(2, ex.size());
    assertEquals(new Target.Label("up"), ex.get(0).target());
    assertEquals(2, ((ModelInput.Series) ex.get(0).input()).channels());
    assertArrayEquals(new float[] {1, 10, 2, 20}, series(ex.get(0)));
    assertArrayEquals(new float[] {5, 50, 4, 40}, series(ex.get(1)));
  }

  @Test
  void wideLayoutHasOneSeriesPerRow() throws IOException {
    String csv = "label,t0,t1,t2\nA,1,2,3\nB,3,,1\n";
    List<Example> ex = parse(csv, null, Map.of("layout", "wide", "label_column", "label"));
    assertEquals(2, ex.size());
    assertArrayEquals(new float[] {3, 2, 1}, series(ex.get(1)));
    assertEquals(new Target.Label("B"), ex.get(1).target());
    List<Example> reg = parse(csv.replace("A,", "1.5,").replace("B,", "2,"), Task.REGRESSION,
        Map.of("layout", "wide", "label_column", "label"));
    assertEquals(new Target.Value(2f), reg.get(1).target());
  }

  @Test
  void refusesRepeatedTimestampsBadOptionsAndChangingLabels() {
    GraftException dup = assertThrows(GraftException.class, () -> parse(
        "t,value\n1,1\n2,2\n1,3\n", Task.FORECASTING, Map.of("layout", "long", "timestamp_column", "t", "horizon", "1")));
    assertEquals("INVALID_DATASET_RECORD", dup.reason());
    assertTrue(dup.getMessage().contains("repeats"), dup.getMessage());
    GraftException layout = assertThrows(GraftException.class, () -> parse("v\n1\n", null, Map.of("layout", "tall")));
    assertEquals("spec.options[layout]", layout.field());
    GraftException label = assertThrows(GraftException.class, () -> parse(
        "id,value,l\na,1,x\na,2,y\n", null, Map.of("layout", "long", "series_id_column", "id", "label_column", "l")));
    assertEquals("data[line 3].l", label.field());
    GraftException missing = assertThrows(GraftException.class, () -> parse(
        "t,value\n1,1\n2,\n3,3\n", Task.FORECASTING, Map.of("layout", "long", "horizon", "1", "missing", "error")));
    assertTrue(missing.getMessage().contains("missing"), missing.getMessage());
    GraftException noHorizon = assertThrows(GraftException.class, () -> parse(
        "value\n1\n2\n", Task.FORECASTING, Map.of("layout", "long")));
    assertEquals("spec.options[horizon]", noHorizon.field());
  }

  @Test
  void readsVegaStyleDates() {
    assertEquals(Timestamps.parse("2000-01-02", 1, "d") - Timestamps.parse("Jan 1 2000", 1, "d"), 86400.0);
  }
}
