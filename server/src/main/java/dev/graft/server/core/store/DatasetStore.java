package dev.graft.server.core.store;

import dev.graft.server.core.Echo;
import dev.graft.server.core.Suggestions;
import dev.graft.spi.Example;
import dev.graft.spi.GraftException;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Uploaded datasets: each has a random id ("ds-" + 12 hex) and a name several datasets may share
 * (addressing by name means the newest of them). A dataset becomes visible whole or not at all.
 * Two backends implement it: {@link LocalDatasetStore} (a folder) and the shared store (a
 * database for records, object storage for the parts); both start uploads and parse examples
 * through a {@link DatasetIntake}. Implementations are thread-safe; uploads from {@link #begin}
 * are owned and closed by the caller.
 */
public interface DatasetStore {
  /** The reason of a name or id that names no stored dataset. */
  String DATASET_NOT_FOUND = "DATASET_NOT_FOUND";
  /** The order of {@link #list()}: name, then create time, then id. */
  Comparator<DatasetRecord> ORDER = Comparator.comparing(DatasetRecord::name)
      .thenComparing(DatasetRecord::createTime)
      .thenComparing(DatasetRecord::id);

  /**
   * Starts an upload.
   *
   * @param createdBy the uploading principal; it may hold at most {@code max-datasets-per-principal}
   *     datasets
   * @throws GraftException as {@link DatasetIntake#begin}
   */
  DatasetUpload begin(DatasetSpecRecord spec, String createdBy);

  /** The dataset with this id, or the newest with this name. */
  Optional<DatasetRecord> find(String idOrName);

  /** @throws GraftException NOT_FOUND reason DATASET_NOT_FOUND (suggesting a close name) */
  default DatasetRecord get(String idOrName) {
    return find(idOrName)
        .orElseThrow(() -> GraftException.notFound(DATASET_NOT_FOUND, Suggestions.withSuggestion(
            "dataset " + Echo.quote(idOrName) + " not found", idOrName, names())));
  }

  /** The datasets' names known without a slow read (for suggestions on an error path). */
  List<String> names();

  /** Every dataset, in {@link #ORDER}. */
  List<DatasetRecord> list();

  /**
   * Deletes a dataset: from the moment it returns no reader finds it.
   *
   * @throws GraftException NOT_FOUND reason DATASET_NOT_FOUND
   */
  DatasetRecord delete(String idOrName);

  /**
   * The examples of a dataset (by id or name), parsed from its stored parts and cached. The list
   * is unmodifiable and shared: callers must not change the arrays inside the examples.
   *
   * @throws GraftException NOT_FOUND reason DATASET_NOT_FOUND
   */
  List<Example> examples(String idOrName);

  /** A local folder holding a dataset's parts (for the shared store: a verified local copy). */
  Path directory(DatasetRecord record);
}
