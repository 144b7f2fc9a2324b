package dev.graft.server.scheduler;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * A bounded priority queue: higher priority first, then first in, first out. Elements are
 * compared by identity. Not thread-safe: its owner ({@link DevicePool}) guards it with its lock.
 */
final class AdmissionQueue<E> {
  private record Entry<E>(E item, int priority, long sequence) {}

  /** Priority descending, then sequence ascending (FIFO). */
  private static final Comparator<Entry<?>> ORDER =
      (a, b) -> {
        int byPriority = Integer.compare(b.priority(), a.priority());
        return byPriority != 0 ? byPriority : Long.compare(a.sequence(), b.sequence());
      };

  private final int capacity;
  private final TreeSet<Entry<E>> entries = new TreeSet<>(ORDER);
  private final Map<E, Entry<E>> index = new IdentityHashMap<>();
  private long nextSequence;

  AdmissionQueue(int capacity) {
    if (capacity < 0) {
      throw new IllegalArgumentException("capacity must be >= 0: " + capacity);
    }
    this.capacity = capacity;
  }

  int capacity() {
    return capacity;
  }

  int size() {
    return entries.size();
  }

  boolean isEmpty() {
    return entries.isEmpty();
  }

  boolean isFull() {
    return entries.size() >= capacity;
  }

  /**
   * Adds {@code item} behind every item of equal or higher priority.
   *
   * @return false (and nothing added) if the queue is full
   * @throws IllegalArgumentException if the item is queued already
   */
  boolean offer(E item, int priority) {
    if (index.containsKey(item)) {
      throw new IllegalArgumentException("already queued: " + item);
    }
    if (isFull()) {
      return false;
    }
    Entry<E> entry = new Entry<>(item, priority, nextSequence++);
    entries.add(entry);
    index.put(item, entry);
    return true;
  }

  /** The next item, or null if empty. */
  E peek() {
    return entries.isEmpty() ? null : entries.first().item();
  }

  /** Removes and returns the next item, or null if empty. */
  E poll() {
    Entry<E> entry = entries.pollFirst();
    if (entry == null) {
      return null;
    }
    index.remove(entry.item());
    return entry.item();
  }

  /** Removes {@code item}; false if it was not queued. */
  boolean remove(E item) {
    Entry<E> entry = index.remove(item);
    return entry != null && entries.remove(entry);
  }

  /** Removes every item and returns them in queue order. */
  List<E> drain() {
    List<E> items = new ArrayList<>(entries.size());
    for (Entry<E> entry : entries) {
      items.add(entry.item());
    }
    entries.clear();
    index.clear();
    return items;
  }
}
