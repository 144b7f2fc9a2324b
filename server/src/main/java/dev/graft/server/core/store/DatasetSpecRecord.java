package dev.graft.server.core.store;

import dev.graft.spi.Task;
import java.util.Map;

/**
 * What an upload declares before its bytes: name, domain, format, task and format options.
 * Immutable; null domain becomes "", null options empty.
 *
 * @param task the task, or null to infer it from the targets
 */
public record DatasetSpecRecord(
    String name, String domain, DatasetFormat format, Task task, Map<String, String> options) {

  public DatasetSpecRecord {
    domain = Copies.text(domain);
    options = Copies.sortedMap(options);
  }

  /** An option, or {@code fallback} when absent or blank. */
  public String option(String key, String fallback) {
    String v = options.get(key);
    return v == null || v.isBlank() ? fallback : v;
  }
}
