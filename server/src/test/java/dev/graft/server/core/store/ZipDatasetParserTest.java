package dev.graft.server.core.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.graft.spi.ErrorKind;
import dev.graft.spi.Example;
import dev.graft.spi.GraftException;
import dev.graft.spi.ModelInput;
import dev.graft.spi.Target;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ZipDatasetParserTest {
  @TempDir Path dir;
  private final ZipDatasetParser parser = new ZipDatasetParser();

  static byte[] image(String format, int grey) throws Exception {
    BufferedImage img = new BufferedImage(4, 4, BufferedImage.TYPE_INT_RGB);
    img.setRGB(1, 1, grey << 16 | grey << 8 | grey);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(img, format, out);
    return out.toByteArray();
  }

  private Path zip(Map<String, byte[]> entries) throws Exception {
    Path file = dir.resolve("data-" + entries.hashCode() + ".zip");
    try (OutputStream raw = Files.newOutputStream(file); ZipOutputStream zip = new ZipOutputStream(raw)) {
      for (Map.Entry<String, byte[]> e : entries.entrySet()) {
        zip.putNextEntry(new ZipEntry(e.getKey()));
        if (e.getValue() != null) {
          zip.write(e.getValue());
        }
        zip.closeEntry();
      }
    }
    return file;
  }

  private List<Example> parse(Path file) {
    return parser.parse(Map.of("", file), new DatasetSpecRecord("d", "vision", DatasetFormat.ZIP, null, Map.of()));
  }

  @Test
  void labelsComeFromTheFolderHoldingEachImage() throws Exception {
    Map<String, byte[]> entries = new LinkedHashMap<>();
    byte[] dog = image("jpeg", 10);
    entries.put("pets/", null);
    entries.put("pets/dog/b.JPG", dog);
    entries.put("pets/cat/a.png", image("png", 200));
    entries.put("pets/cat/c.gif", image("gif", 30));
    entries.put("pets/bird/d.bmp", image("bmp", 40));
    entries.put("pets/README.txt", "notes".getBytes());
    entries.put("__MACOSX/pets/cat/._a.png", new byte[] {0, 5});
    entries.put("pets/.hidden/x.png", image("png", 1));
    List<Example> out = parse(zip(entries));
    assertEquals(List.of("bird", "cat", "cat", "dog"),
        out.stream().map(e -> ((Target.Label) e.target()).label()).toList());
    assertArrayEquals(dog, ((ModelInput.Image) out.get(3).input()).encoded());
  }

  private void assertRefused(Path file, String field) {
    GraftException e = assertThrows(GraftException.class, () -> parse(file));
    assertEquals(ErrorKind.INVALID_ARGUMENT, e.kind());
    assertEquals(RecordErrors.INVALID_DATASET_RECORD, e.reason());
    assertEquals(field, e.field(), e.getMessage());
  }

  @Test
  void badArchivesAndEntriesAreRefusedByName() throws Exception {
    assertRefused(zip(Map.of("top.png", image("png", 1))), "data[entry top.png]");
    assertRefused(zip(Map.of("cat/fake.png", "GIF89a-not-png".getBytes())), "data[entry cat/fake.png]");
    assertRefused(zip(Map.of("notes.txt", "x".getBytes())), "data");
    Path garbage = dir.resolve("garbage.zip");
    Files.write(garbage, "this is not a zip".getBytes());
    assertRefused(garbage, "data");
    GraftException e = assertThrows(GraftException.class, () -> parser.parse(
        Map.of("images", garbage), new DatasetSpecRecord("d", "vision", DatasetFormat.ZIP, null, Map.of())));
    assertEquals("UNEXPECTED_PART", e.reason());
  }
}
