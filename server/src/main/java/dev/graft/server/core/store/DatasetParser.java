package dev.graft.server.core.store;

import dev.graft.spi.Example;
import dev.graft.spi.GraftException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Turns the uploaded parts of one dataset format into examples.
 *
 * <p>Implementations are stateless and thread-safe; they read the files but never change or
 * delete them.
 */
public interface DatasetParser {

  /**
   * Checks the spec's options before any byte is uploaded. The default accepts everything.
   *
   * @throws GraftException INVALID_ARGUMENT naming the option ("spec.options[delimiter]")
   */
  default void validate(DatasetSpecRecord spec) {}

  /**
   * Parses every example.
   *
   * @param parts uploaded files by part name ("" = the main part)
   * @return the examples in file order; empty when there is no data
   * @throws GraftException INVALID_ARGUMENT naming the line and field ("data[line 3].label")
   */
  List<Example> parse(Map<String, Path> parts, DatasetSpecRecord spec);
}
