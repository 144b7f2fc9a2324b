package dev.graft.server.api;

import dev.graft.server.core.store.DatasetParser;
import dev.graft.server.core.store.DatasetSpecRecord;
import dev.graft.spi.Example;
import dev.graft.spi.GraftException;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Parses the EXAMPLES format: length-delimited {@code graft.v1.Example} messages (what
 * {@code writeDelimitedTo} writes). It lives at the edge because it reads API messages.
 */
public final class ExamplesDatasetParser implements DatasetParser {

  @Override
  public List<Example> parse(Map<String, Path> parts, DatasetSpecRecord spec) {
    Path main = parts.get("");
    if (main == null) {
      throw GraftException.invalidArgument("chunk.part", "MISSING_PART",
          "EXAMPLES datasets are sent as the main part (part \"\"); got parts " + parts.keySet());
    }
    List<Example> out = new ArrayList<>();
    try (InputStream in = new BufferedInputStream(Files.newInputStream(main))) {
      for (int i = 0; ; i++) {
        dev.graft.api.v1.Example message;
        try {
          message = dev.graft.api.v1.Example.parseDelimitedFrom(in);
        } catch (IOException e) {
          throw GraftException.invalidArgument("data[example " + i + "]", "INVALID_DATASET_RECORD",
              "example " + i + ": not a length-delimited graft.v1.Example (" + e.getMessage() + ")");
        }
        if (message == null) {
          return out;
        }
        out.add(InputMapper.example(message, "data[example " + i + "]"));
      }
    } catch (IOException e) {
      throw GraftException.internal("STORE_IO", "cannot read the uploaded examples: " + e.getMessage(), e);
    }
  }
}
