package dev.graft.server.core.store;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.spi.ErrorKind;
import dev.graft.spi.Example;
import dev.graft.spi.GraftException;
import dev.graft.spi.Task;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What the dataset parsers' fuzz targets share (docs/fuzzing.md): temporary part files, and the
 * contract every parser documents — examples, or a {@link GraftException} INVALID_ARGUMENT (bad
 * bytes, options or parts) or RESOURCE_EXHAUSTED (a {@link ParseBudget} bound). Parts are always
 * readable here, so an INTERNAL STORE_IO (an {@link IOException} the parser did not turn into a
 * refusal), any other exception, an OutOfMemoryError under the fuzz heap or a hang is a finding.
 */
final class ParserFuzzing {
  private static final Path DIR = tempDir();

  private ParserFuzzing() {}

  /** A part file holding {@code bytes} (the same path for the same name: one run at a time). */
  static Path part(String name, byte[] bytes) {
    Path file = DIR.resolve(name.isEmpty() ? "data" : name);
    try {
      Files.write(file, bytes);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    file.toFile().deleteOnExit();
    return file;
  }

  /** Validates the spec, as an upload does before its bytes, then parses the parts. */
  static void parse(DatasetParser parser, DatasetFormat format, Task task, Map<String, String> options,
      Map<String, Path> parts) {
    DatasetSpecRecord spec = new DatasetSpecRecord("fuzz", "", format, task, options);
    List<Example> examples;
    try {
      parser.validate(spec);
      examples = parser.parse(parts, spec);
    } catch (GraftException e) {
      assertTrue(e.kind() == ErrorKind.INVALID_ARGUMENT || e.kind() == ErrorKind.RESOURCE_EXHAUSTED,
          () -> e.kind() + " " + e.reason() + " [" + e.field() + "]: " + e.getMessage());
      return;
    }
    for (Example e : examples) {
      assertTrue(e.input() != null && e.target() != null, "an example without input or target");
    }
  }

  private static Path tempDir() {
    try {
      Path dir = Files.createTempDirectory("graft-fuzz-datasets");
      dir.toFile().deleteOnExit();
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
