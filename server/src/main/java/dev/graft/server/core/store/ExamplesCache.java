package dev.graft.server.core.store;

import dev.graft.spi.Example;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parsed examples of recently used datasets, least recently used evicted first, bounded by the
 * examples' estimated heap size ({@link ExampleSizes}), not by the stored (possibly compressed)
 * bytes. Thread-safe (all methods synchronized).
 */
final class ExamplesCache {
  private final long budgetBytes;
  private final LinkedHashMap<String, Entry> entries = new LinkedHashMap<>(16, 0.75f, true);
  private long usedBytes;

  ExamplesCache(long budgetBytes) {
    this.budgetBytes = budgetBytes;
  }

  synchronized List<Example> get(String id) {
    Entry e = entries.get(id);
    return e == null ? null : e.examples;
  }

  /** Caches, sized by {@link ExampleSizes#of(List)}, unless over budget alone; evicts the least recently used to fit. */
  void put(String id, List<Example> examples) {
    put(id, ExampleSizes.of(examples), examples);
  }

  /** Caches examples taking {@code sizeBytes} of heap unless over budget alone; evicts the least recently used to fit. */
  synchronized void put(String id, long sizeBytes, List<Example> examples) {
    remove(id);
    if (sizeBytes > budgetBytes) {
      return;
    }
    Iterator<Map.Entry<String, Entry>> it = entries.entrySet().iterator();
    while (usedBytes + sizeBytes > budgetBytes && it.hasNext()) {
      usedBytes -= it.next().getValue().sizeBytes;
      it.remove();
    }
    entries.put(id, new Entry(sizeBytes, examples));
    usedBytes += sizeBytes;
  }

  synchronized void remove(String id) {
    Entry e = entries.remove(id);
    if (e != null) {
      usedBytes -= e.sizeBytes;
    }
  }

  /** The estimated heap bytes of the cached examples. */
  synchronized long usedBytes() {
    return usedBytes;
  }

  private record Entry(long sizeBytes, List<Example> examples) {}
}
