package dev.graft.server.core.store;

import dev.graft.spi.Example;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Where a finished upload goes: a {@link DatasetStore} backend makes the staged folder a dataset
 * under a fresh id, visible whole or not at all. Called once per upload, by {@link DatasetUpload#commit}.
 */
public interface DatasetPublisher {

  /**
   * Publishes {@code staged} (the parts as {@code data}, {@code data.<part>}) as the dataset
   * {@code draft} describes, with a fresh id.
   *
   * @param files each part's size and SHA-256
   * @param examples the parsed examples, for the publisher's cache
   * @return the stored record
   */
  DatasetRecord publish(Path staged, DatasetRecord draft, Map<String, ManifestFiles.Entry> files,
      List<Example> examples) throws IOException;
}
