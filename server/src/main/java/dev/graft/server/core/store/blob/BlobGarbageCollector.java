package dev.graft.server.core.store.blob;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * Deletes content-addressed blobs that no metadata references: what a crash between upload and
 * commit, a deleted model version or an expired checkpoint leaves behind.
 *
 * <p>Safety: a blob is removed only when it is (1) unreferenced in the set read <em>after</em> the
 * listing, and (2) last modified before {@code now - minAge}. A publish uploads its blobs and then
 * commits, so a blob listed before the commit is young (unless the publish took longer than {@code
 * minAge}), and one listed after is referenced. A publish that reuses an existing blob finds it
 * through {@link BlobStore#putIfAbsent}, which renews an object older than {@link
 * BlobStore#REFRESH_AGE}; hence {@code minAge} must be at least that plus the longest publish, and the
 * constructor requires {@link #MIN_AGE_FLOOR}. Only keys under {@link ContentAddress#PREFIX} are
 * considered; anything else in the bucket is left alone. Several replicas may collect at once (a
 * delete of a deleted key is not an error), though one at a time is enough.
 *
 * <p>Thread-safe; {@link #collect} is typically run by one replica on a timer.
 */
public final class BlobGarbageCollector {
  /** The smallest minimum age accepted: twice {@link BlobStore#REFRESH_AGE}. */
  public static final Duration MIN_AGE_FLOOR = BlobStore.REFRESH_AGE.multipliedBy(2);

  private static final Logger LOG = Logger.getLogger(BlobGarbageCollector.class.getName());

  private final BlobStore store;
  private final Supplier<Set<String>> referenced;
  private final Duration minAge;
  private final Clock clock;

  /** What one collection did. */
  public record Result(List<BlobInfo> removed, long kept, long bytesFreed) {
    public Result {
      removed = List.copyOf(removed);
    }
  }

  /**
   * @param store where the blobs are
   * @param referenced the SHA-256 of every blob some metadata references (the database supplies
   *     it); read once per collection, after the listing
   * @param minAge blobs younger than this are never removed; at least {@link #MIN_AGE_FLOOR}
   */
  public BlobGarbageCollector(BlobStore store, Supplier<Set<String>> referenced, Duration minAge) {
    this(store, referenced, minAge, Clock.systemUTC());
  }

  public BlobGarbageCollector(BlobStore store, Supplier<Set<String>> referenced, Duration minAge, Clock clock) {
    this.store = Objects.requireNonNull(store, "store");
    this.referenced = Objects.requireNonNull(referenced, "referenced");
    this.minAge = Objects.requireNonNull(minAge, "minAge");
    this.clock = Objects.requireNonNull(clock, "clock");
    if (minAge.compareTo(MIN_AGE_FLOOR) < 0) {
      throw new IllegalArgumentException("minAge " + minAge + " is below " + MIN_AGE_FLOOR
          + ": a publish reusing an existing blob could lose it");
    }
  }

  /** Removes unreferenced blobs last modified more than {@code minAge} ago. */
  public Result collect() {
    return collectBefore(clock.instant().minus(minAge));
  }

  /**
   * Removes unreferenced blobs last modified before {@code cutoff}. For tests and operators who
   * know no publish is in flight (e.g. {@code graft store gc} on a stopped cluster); the server uses
   * {@link #collect()}.
   */
  public Result collectBefore(Instant cutoff) {
    List<BlobInfo> candidates = new ArrayList<>();
    long[] listed = {0};
    store.list(ContentAddress.PREFIX, info -> {
      listed[0]++;
      if (ContentAddress.isKey(info.key()) && info.lastModified().isBefore(cutoff)) {
        candidates.add(info);
      }
    });
    // Read after listing: a blob committed meanwhile is in this set.
    Set<String> refs = Set.copyOf(referenced.get());
    List<BlobInfo> removed = new ArrayList<>();
    long freed = 0;
    for (BlobInfo info : candidates) {
      String sha = ContentAddress.sha256Of(info.key()).orElseThrow();
      if (!refs.contains(sha) && stillOld(info.key(), cutoff)) {
        store.delete(info.key());
        removed.add(info);
        freed += info.size();
      }
    }
    if (!removed.isEmpty()) {
      LOG.info(() -> "blob gc on " + store.describe() + ": removed " + removed.size() + " unreferenced blob(s), "
          + removed.stream().mapToLong(BlobInfo::size).sum() + " bytes, of " + listed[0]);
    }
    return new Result(removed, listed[0] - removed.size(), freed);
  }

  /**
   * Re-reads the object's age just before deleting: a publish may have renewed it (putIfAbsent)
   * since the listing. What remains is the window between this read and the delete.
   */
  private boolean stillOld(String key, Instant cutoff) {
    return store.stat(key).map(i -> i.lastModified().isBefore(cutoff)).orElse(false);
  }
}
