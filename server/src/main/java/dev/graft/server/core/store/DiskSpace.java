package dev.graft.server.core.store;

import dev.graft.spi.GraftException;
import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * The free space an upload or import must leave on the store's file system
 * ({@code min-free-disk-bytes}). {@link #require} is asked before a transfer starts; a
 * {@link Meter} asks again each {@value #CHECK_EVERY_MIB} MiB written, so a long transfer stops when the
 * disk fills behind it without a file-system query per chunk. A refusal is RESOURCE_EXHAUSTED
 * reason {@code DISK_FULL}. A minimum of 0 turns the check off. Thread-safe; meters are not.
 */
public final class DiskSpace {
  static final int CHECK_EVERY_MIB = 8;
  /** How many bytes a meter lets through between two queries of the free space. */
  public static final long CHECK_EVERY_BYTES = (long) CHECK_EVERY_MIB << 20;

  private final long minFreeBytes;
  private final LongSupplier usableBytes;

  /**
   * @param minFreeBytes the bytes that must stay free; 0 = no check
   * @param usableBytes the usable bytes of the store's file system now (may throw
   *     {@link java.io.UncheckedIOException})
   */
  public DiskSpace(long minFreeBytes, LongSupplier usableBytes) {
    this.minFreeBytes = minFreeBytes;
    this.usableBytes = Objects.requireNonNull(usableBytes, "usableBytes");
  }

  /** The file system holding {@code dir}, asked through {@link FileStore#getUsableSpace()}. */
  public static DiskSpace of(Path dir, long minFreeBytes) {
    if (minFreeBytes <= 0) {
      return new DiskSpace(0, () -> Long.MAX_VALUE);
    }
    FileStore fileStore;
    try {
      fileStore = Files.getFileStore(dir);
    } catch (IOException e) {
      throw StoreErrors.io("cannot find the file system of " + dir, e);
    }
    return new DiskSpace(minFreeBytes, () -> {
      try {
        return fileStore.getUsableSpace();
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
  }

  /** The configured minimum ({@code min-free-disk-bytes}). */
  public long minFreeBytes() {
    return minFreeBytes;
  }

  /**
   * Refuses when writing {@code incoming} more bytes would leave less than the minimum free.
   *
   * @param what what is refused, for the message ("the upload of dataset 'x'")
   * @throws GraftException RESOURCE_EXHAUSTED reason {@code DISK_FULL}; INTERNAL {@code STORE_IO}
   *     when the free space cannot be read
   */
  public void require(long incoming, String what) {
    if (minFreeBytes <= 0) {
      return;
    }
    long usable;
    try {
      usable = usableBytes.getAsLong();
    } catch (java.io.UncheckedIOException e) {
      throw StoreErrors.io("cannot read the free space of the store", e);
    }
    if (usable - incoming < minFreeBytes) {
      throw GraftException.resourceExhausted("DISK_FULL", what + " was refused: the store has " + usable
          + " bytes free and must keep min-free-disk-bytes=" + minFreeBytes + " free");
    }
  }

  /** A meter for one transfer. */
  public Meter meter(String what) {
    return new Meter(what);
  }

  /** Counts the bytes of one transfer and checks the free space each {@link #CHECK_EVERY_BYTES}. Not thread-safe. */
  public final class Meter {
    private final String what;
    private long sinceCheck;

    private Meter(String what) {
      this.what = what;
    }

    /** Call before writing {@code length} bytes; throws like {@link DiskSpace#require} when they would not fit. */
    public void beforeWrite(long length) {
      sinceCheck += length;
      if (sinceCheck >= CHECK_EVERY_BYTES) {
        sinceCheck = 0;
        require(length, what);
      }
    }
  }
}
