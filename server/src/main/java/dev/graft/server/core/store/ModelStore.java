package dev.graft.server.core.store;

import dev.graft.server.core.Echo;
import dev.graft.server.core.Suggestions;
import dev.graft.spi.BaseModel;
import dev.graft.spi.GraftException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Model versions and their files: {@code name@version}, numbered from 1 per name, never reused
 * (a deleted version keeps its number taken, so caches keyed by the reference stay correct on every
 * replica). A version becomes visible whole or not at all. Two backends implement it:
 * {@link LocalModelStore} (a folder) and the shared store (a database for records, object storage
 * for files). Implementations are thread-safe.
 */
public interface ModelStore {
  /** The manifest's file name inside a version folder; reserved. */
  String MANIFEST = "manifest.json";
  /** The reason of a reference that names no stored version. */
  String MODEL_NOT_FOUND = "MODEL_NOT_FOUND";

  /**
   * Checks a model name: {@code [a-z0-9][a-z0-9._-]{0,62}}.
   *
   * @throws GraftException INVALID_ARGUMENT naming {@code field}, reason INVALID_MODEL_NAME
   */
  static void validateName(String name, String field) {
    if (name == null || !StoreNames.MODEL.matcher(name).matches()) {
      throw GraftException.invalidArgument(
          field,
          ModelRef.INVALID_MODEL_NAME,
          field + " " + Echo.quote(name) + " is not a valid model name: use 1 to 63 characters from a-z, 0-9, '.', '_' and"
              + " '-', starting with a letter or a digit");
    }
  }

  /** The aliases of model versions, kept beside this store's models. */
  ModelAliases aliases();

  /** A new empty local folder for a model's files before {@link #create}. */
  Path newStagingDirectory() throws IOException;

  /**
   * Stores {@code stagedFiles} as the next version of {@code draft.name()}: assigns version =
   * latest + 1 ({@code draft.version()} is ignored), computes the size, sets the create time if
   * null and records each file's size and SHA-256 (see {@link ManifestFiles}). Concurrent
   * creators, in this process or on other replicas, always get distinct versions. On success the
   * staged folder belongs to the store (it may be gone); on failure it stays with the caller, who
   * deletes it.
   *
   * @param stagedFiles a folder from {@link #newStagingDirectory}
   * @return the stored record
   * @throws GraftException INVALID_ARGUMENT for a bad name (field "name") or a file named
   *     manifest.json; INTERNAL STORE_IO on I/O failure; UNAVAILABLE when a backend is unreachable
   */
  ModelRecord create(ModelRecord draft, Path stagedFiles);

  /**
   * Like {@link #create}, but only when model {@code draft.name()} has no version now: for the
   * built-in models, which every replica installs at start-up. A backend shared by replicas
   * decides atomically, so replicas starting together store one version, not one each.
   *
   * @return the stored record, or empty (the staged folder stays with the caller) when a version
   *     exists
   */
  default Optional<ModelRecord> createIfAbsent(ModelRecord draft, Path stagedFiles) {
    return find(draft.name()).isPresent() ? Optional.empty() : Optional.of(create(draft, stagedFiles));
  }

  /**
   * The model {@code ref} names: {@code name} (its latest version), {@code name@version} or
   * {@code name:alias} (the version the alias names; see {@link #aliases()}). Versions written or
   * deleted by another replica are seen.
   *
   * @throws GraftException INVALID_ARGUMENT (field "name", reason INVALID_MODEL_NAME) for a
   *     malformed reference
   */
  Optional<ModelRecord> find(String ref);

  /**
   * Like {@link #find} but the model must exist.
   *
   * @throws GraftException NOT_FOUND reason MODEL_NOT_FOUND (suggesting a close name);
   *     INVALID_ARGUMENT for a malformed ref
   */
  default ModelRecord get(String ref) {
    return find(ref).orElseThrow(() -> GraftException.notFound(MODEL_NOT_FOUND,
        Suggestions.withSuggestion("model " + Echo.quote(ref) + " not found", ModelRef.parse(ref, "name").name(),
            names())));
  }

  /** The model names known without a slow read (for suggestions on an error path). */
  List<String> names();

  /** Every stored version, sorted by name then version. */
  List<ModelRecord> list();

  /**
   * Deletes a version: from the moment it returns no reader finds it; its number stays taken.
   *
   * @return the deleted record
   * @throws GraftException NOT_FOUND reason MODEL_NOT_FOUND
   */
  ModelRecord delete(String ref);

  /** A local folder holding a version's files (for the shared store: a verified local copy). */
  Path directory(ModelRecord record);

  /** The version as a domain plugin sees it. */
  default BaseModel baseModel(ModelRecord record) {
    return new BaseModel(record.ref(), directory(record), record.format(), record.properties());
  }
}
