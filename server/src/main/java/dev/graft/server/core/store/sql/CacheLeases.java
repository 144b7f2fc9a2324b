package dev.graft.server.core.store.sql;

import dev.graft.server.core.store.blob.BlobCache;
import dev.graft.server.core.store.blob.BlobRef;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * The {@link BlobCache} leases behind the shared store's {@code directory()}: a caller gets a
 * plain folder and never closes anything, so the store holds the lease for it.
 *
 * <p>Policy: each {@link #hold} materialises the files (downloading them on a miss) and keeps the
 * entry leased, under a key naming what it is (a model reference, a dataset id), until the key has
 * gone {@code idle} without another {@link #hold}. Callers read a folder right after receiving it
 * (a model runtime loads the weights, a parser reads the parts) and may come back to it later
 * (a tokenizer file, a training job re-reading its base): every call of {@code directory()}
 * renews the hold, and within {@code idle} of the last one the files are guaranteed in place.
 * After that the entry is merely cached: it stays until the LRU bound needs its space. A key's
 * lease also ends when {@link #release} is called (the version or dataset was deleted) and when
 * the store closes. Idle leases are released lazily, on the next {@link #hold} or
 * {@link #releaseIdle}, so no thread is needed.
 *
 * <p>Thread-safe. A download runs outside the lock, so a slow object store does not hold up the
 * other keys.
 */
final class CacheLeases implements AutoCloseable {
  private final BlobCache cache;
  private final long idleNanos;
  private final LongSupplier nanoTime;
  /** key → its lease and last use; guarded by {@code this}. */
  private final Map<String, Held> held = new HashMap<>();

  private record Held(BlobCache.Lease lease, long lastUse) {}

  /**
   * @param idle how long after the last {@link #hold} of a key its files stay guaranteed
   */
  CacheLeases(BlobCache cache, Duration idle) {
    this(cache, idle, System::nanoTime);
  }

  CacheLeases(BlobCache cache, Duration idle, LongSupplier nanoTime) {
    this.cache = Objects.requireNonNull(cache, "cache");
    if (idle.isNegative()) {
      throw new IllegalArgumentException("negative lease hold: " + idle);
    }
    this.idleNanos = idle.toNanos();
    this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
  }

  /**
   * The local folder of {@code files}, downloaded and verified if not cached, leased under
   * {@code key} for at least the idle time from now. Fails as {@link BlobCache#materialise}.
   */
  Path hold(String key, Map<String, BlobRef> files) {
    releaseIdle();
    BlobCache.Lease lease = cache.materialise(files);
    Held previous;
    synchronized (this) {
      previous = held.put(key, new Held(lease, nanoTime.getAsLong()));
    }
    if (previous != null) {
      previous.lease().close(); // the new lease pins the entry already, when it is the same one
    }
    return lease.path();
  }

  /** Ends the lease of {@code key}, if any (its files are no longer handed out). */
  void release(String key) {
    Held gone;
    synchronized (this) {
      gone = held.remove(key);
    }
    if (gone != null) {
      gone.lease().close();
    }
  }

  /** Ends every lease idle for longer than the idle time. */
  void releaseIdle() {
    long now = nanoTime.getAsLong();
    List<Held> expired = new ArrayList<>();
    synchronized (this) {
      for (Iterator<Held> it = held.values().iterator(); it.hasNext(); ) {
        Held h = it.next();
        if (now - h.lastUse() > idleNanos) {
          expired.add(h);
          it.remove();
        }
      }
    }
    expired.forEach(h -> h.lease().close());
  }

  /** How many keys hold a lease now. */
  synchronized int size() {
    return held.size();
  }

  /** Ends every lease. */
  @Override
  public void close() {
    List<Held> all;
    synchronized (this) {
      all = new ArrayList<>(held.values());
      held.clear();
    }
    all.forEach(h -> h.lease().close());
  }
}
