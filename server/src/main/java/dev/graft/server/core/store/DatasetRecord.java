package dev.graft.server.core.store;

import dev.graft.spi.Task;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A stored dataset, as written to {@code datasets/<id>/manifest.json}. Immutable.
 *
 * @param id "ds-" and 12 hex characters
 * @param task the declared or inferred task
 * @param examples the number of examples
 * @param labels for classification, the distinct labels (numeric order when all are integers,
 *     else lexicographic); empty otherwise
 * @param labelCounts examples per label, in the order of {@code labels}
 * @param sha256 hex SHA-256 of all uploaded bytes in arrival order
 * @param sizeBytes the number of uploaded bytes
 * @param options the format options of the upload
 * @param createdBy the principal that uploaded it; "" for datasets stored before principals existed
 */
public record DatasetRecord(
    String id,
    String name,
    String domain,
    DatasetFormat format,
    Task task,
    long examples,
    List<String> labels,
    Map<String, Long> labelCounts,
    String sha256,
    long sizeBytes,
    Instant createTime,
    Map<String, String> options,
    String createdBy) {
  /** The longest label a dataset (or an inline example) may hold, in characters. */
  public static final int MAX_LABEL_CHARS = 1024;


  public DatasetRecord {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(format, "format");
    domain = Copies.text(domain);
    labels = Copies.list(labels);
    labelCounts = Copies.orderedMap(labelCounts);
    sha256 = Copies.text(sha256);
    options = Copies.sortedMap(options);
    createdBy = Copies.text(createdBy);
  }

  /** This record under another id (a publisher assigns the id). */
  public DatasetRecord withId(String newId) {
    return new DatasetRecord(newId, name, domain, format, task, examples, labels, labelCounts, sha256, sizeBytes,
        createTime, options, createdBy);
  }

  /** The spec to parse the stored parts again. */
  public DatasetSpecRecord spec() {
    return new DatasetSpecRecord(name, domain, format, task, options);
  }
}
