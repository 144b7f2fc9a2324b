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
   * Checks the spec's options before any byte is uploaded. The default refuses every option.
   *
   * @throws GraftException INVALID_ARGUMENT naming the option ("spec.options[delimiter]")
   */
  default void validate(DatasetSpecRecord spec) {
    DatasetOptions.requireKnown(spec, java.util.Set.of());
  }

  /**
   * Parses every example within {@code budget}: compressed content is decoded and examples are
   * built only as far as the budget allows, checked before the memory is taken.
   *
   * @param parts uploaded files by part name ("" = the main part)
   * @return the examples in file order; empty when there is no data
   * @throws GraftException INVALID_ARGUMENT naming the line and field ("data[line 3].label");
   *     RESOURCE_EXHAUSTED when the budget is spent ({@link ParseBudget})
   */
  List<Example> parse(Map<String, Path> parts, DatasetSpecRecord spec, ParseBudget budget);

  /** {@link #parse(Map, DatasetSpecRecord, ParseBudget)} with the budget of a default server. */
  default List<Example> parse(Map<String, Path> parts, DatasetSpecRecord spec) {
    return parse(parts, spec, ParseBudget.defaults());
  }
}
