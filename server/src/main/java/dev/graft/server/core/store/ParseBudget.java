package dev.graft.server.core.store;

import dev.graft.spi.ErrorKind;
import dev.graft.spi.Example;
import dev.graft.spi.GraftException;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.ZipException;

/**
 * What one parse of a dataset may cost, checked before or while memory is taken, so that a small
 * upload cannot make the server decode or hold far more than it sent (a "bomb"):
 *
 * <ul>
 *   <li><b>Decompressed bytes</b> (gzipped IDX parts, ZIP entries): all compressed content of a
 *       dataset decodes to at most {@code max-dataset-bytes} (as much as an uncompressed upload may
 *       send), and each compressed file to at most {@value #RATIO} times its size or
 *       {@value #RATIO_FLOOR} bytes, whichever is more. Counted while streaming, and checked
 *       against sizes that headers declare before anything is read. Over budget:
 *       RESOURCE_EXHAUSTED {@value #DECOMPRESSED_TOO_LARGE}.
 *   <li><b>Parsed bytes</b>: the examples a parse builds are estimated ({@link ExampleSizes}) and
 *       may take at most {@value #PARSED_MULTIPLE} × {@code max-dataset-bytes}, and never more than
 *       half the JVM's maximum heap. Over budget: RESOURCE_EXHAUSTED {@value #PARSED_TOO_LARGE}.
 *   <li><b>Entries</b>: an archive holds at most {@value #MAX_ENTRIES} entries (files and
 *       folders). Over: RESOURCE_EXHAUSTED {@value #TOO_MANY_ENTRIES}.
 * </ul>
 *
 * <p>One budget serves one parse. Not thread-safe.
 */
public final class ParseBudget {
  public static final String DECOMPRESSED_TOO_LARGE = "DECOMPRESSED_TOO_LARGE";
  public static final String PARSED_TOO_LARGE = "PARSED_TOO_LARGE";
  public static final String TOO_MANY_ENTRIES = "TOO_MANY_ENTRIES";
  /** How many times its own size one compressed file may decode to (above {@link #RATIO_FLOOR}). */
  public static final int RATIO = 50;
  /** A compressed file may always decode to this many bytes, whatever its ratio. */
  public static final long RATIO_FLOOR = 16L << 20;
  /** Parsed examples may take this many times {@code max-dataset-bytes}. */
  public static final int PARSED_MULTIPLE = 8;
  /** The most entries of one archive. */
  public static final int MAX_ENTRIES = 1_000_000;
  private static final long DEFAULT_DATASET_BYTES = 1L << 30;

  private final long maxDecodedBytes;
  private final long maxParsedBytes;
  private long decoded;
  private long parsed;

  /**
   * A budget with explicit caps.
   *
   * @param maxDecodedBytes decompressed bytes of all compressed content
   * @param maxParsedBytes estimated heap bytes of the parsed examples
   */
  public ParseBudget(long maxDecodedBytes, long maxParsedBytes) {
    this.maxDecodedBytes = maxDecodedBytes;
    this.maxParsedBytes = maxParsedBytes;
  }

  /** The budget for a dataset of at most {@code maxDatasetBytes} stored bytes (see the class comment). */
  public static ParseBudget forDatasetBytes(long maxDatasetBytes) {
    long parsed = maxDatasetBytes > Long.MAX_VALUE / PARSED_MULTIPLE ? Long.MAX_VALUE : maxDatasetBytes * PARSED_MULTIPLE;
    return new ParseBudget(maxDatasetBytes, Math.min(parsed, Runtime.getRuntime().maxMemory() / 2));
  }

  /** The budget of a server with the default {@code max-dataset-bytes} (1 GiB). */
  public static ParseBudget defaults() {
    return forDatasetBytes(DEFAULT_DATASET_BYTES);
  }

  public long maxDecodedBytes() {
    return maxDecodedBytes;
  }

  public long maxParsedBytes() {
    return maxParsedBytes;
  }

  /** The estimated heap bytes charged so far. */
  public long parsedBytes() {
    return parsed;
  }

  /** How many bytes a compressed file of {@code compressedBytes} bytes may still decode to. */
  public long allowance(long compressedBytes) {
    long byRatio = compressedBytes > Long.MAX_VALUE / RATIO ? Long.MAX_VALUE : compressedBytes * RATIO;
    return Math.min(maxDecodedBytes - decoded, Math.max(RATIO_FLOOR, byRatio));
  }

  /**
   * Refuses at once a compressed file whose header declares more decoded bytes than it may hold.
   *
   * @throws GraftException RESOURCE_EXHAUSTED {@value #DECOMPRESSED_TOO_LARGE} naming {@code field}
   */
  public void requireDecodable(long declaredBytes, long compressedBytes, String field) {
    if (declaredBytes > allowance(compressedBytes)) {
      throw decompressedTooLarge(field, declaredBytes, compressedBytes);
    }
  }

  /**
   * The decompressed stream {@code in} of a compressed file of {@code compressedBytes} bytes,
   * counted as it is read: reading past the file's allowance throws RESOURCE_EXHAUSTED
   * {@value #DECOMPRESSED_TOO_LARGE}, and corrupt compressed data (a bad header, block or
   * checksum) INVALID_ARGUMENT {@code INVALID_DATASET_RECORD}, both naming {@code field}. A stream
   * that ends early reads as an {@link EOFException}, for the caller to report.
   */
  public InputStream decoding(InputStream in, long compressedBytes, String field) {
    return stream(compressedBytes, field).wrap(in);
  }

  /**
   * The allowance of one compressed file of {@code compressedBytes} bytes whose content is read
   * through one or more streams (the entries of a ZIP archive): see {@link #decoding}.
   */
  public Stream stream(long compressedBytes, String field) {
    return new Stream(compressedBytes, field);
  }

  /**
   * Charges {@code bytes} of parsed data before they are built.
   *
   * @throws GraftException RESOURCE_EXHAUSTED {@value #PARSED_TOO_LARGE} naming {@code field}
   */
  public void charge(long bytes, String field) {
    if (bytes < 0 || bytes > maxParsedBytes - parsed) {
      throw new GraftException(ErrorKind.RESOURCE_EXHAUSTED, PARSED_TOO_LARGE, field,
          field + ": the parsed dataset would take more than " + maxParsedBytes + " bytes of memory (at most "
              + PARSED_MULTIPLE + " × max-dataset-bytes, and half the server's heap); split the dataset or send"
              + " smaller records", null);
    }
    parsed += bytes;
  }

  /** Charges one built example (see {@link #charge}). */
  public void add(Example e, String field) {
    charge(ExampleSizes.of(e), field);
  }

  /** {@link #charge} for line {@code line} of a text file; the field "data[line N]" is only built on refusal. */
  public void chargeLine(long bytes, long line) {
    if (bytes < 0 || bytes > maxParsedBytes - parsed) {
      charge(bytes, "data[line " + line + "]");
    }
    parsed += bytes;
  }

  /** {@link #add} for the example of line {@code line} of a text file. */
  public void addLine(Example e, long line) {
    chargeLine(ExampleSizes.of(e), line);
  }

  /**
   * Refuses an archive of more than {@value #MAX_ENTRIES} entries.
   *
   * @throws GraftException RESOURCE_EXHAUSTED {@value #TOO_MANY_ENTRIES} naming {@code field}
   */
  public static void requireEntries(long entries, String field) {
    if (entries > MAX_ENTRIES) {
      throw new GraftException(ErrorKind.RESOURCE_EXHAUSTED, TOO_MANY_ENTRIES, field,
          field + ": the archive has " + entries + " entries; at most " + MAX_ENTRIES, null);
    }
  }

  private GraftException decompressedTooLarge(String field, long bytes, long compressedBytes) {
    long byRatio = Math.max(RATIO_FLOOR, compressedBytes > Long.MAX_VALUE / RATIO ? Long.MAX_VALUE
        : compressedBytes * RATIO);
    String why = byRatio <= maxDecodedBytes - decoded
        ? "a compressed file of " + compressedBytes + " bytes may decode to at most " + byRatio + " bytes ("
            + RATIO + " × its size, or " + RATIO_FLOOR + ")"
        : "a dataset's compressed content may decode to at most max-dataset-bytes=" + maxDecodedBytes + " bytes";
    return new GraftException(ErrorKind.RESOURCE_EXHAUSTED, DECOMPRESSED_TOO_LARGE, field,
        field + ": decompresses to more than " + Math.min(bytes, Long.MAX_VALUE) + " bytes; " + why, null);
  }

  /** The decoded bytes of one compressed file, counted against its allowance. Not thread-safe. */
  public final class Stream {
    private final long compressedBytes;
    private final String field;
    private final long allowance;
    private long read;

    private Stream(long compressedBytes, String field) {
      this.compressedBytes = compressedBytes;
      this.field = field;
      this.allowance = allowance(compressedBytes);
    }

    /** {@code in}, a decompressing stream of this file's content, counted as it is read. */
    public InputStream wrap(InputStream in) {
      return new Counted(in, this);
    }

    void count(int n) {
      read += n;
      decoded += n;
      if (read > allowance) {
        throw decompressedTooLarge(field, read, compressedBytes);
      }
    }
  }

  /** Counts decoded bytes, and turns corrupt compressed data into INVALID_ARGUMENT. */
  private static final class Counted extends FilterInputStream {
    private final Stream stream;

    Counted(InputStream in, Stream stream) {
      super(in);
      this.stream = stream;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n <= 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n;
      try {
        n = in.read(b, off, len);
      } catch (ZipException e) {
        throw GraftException.invalidArgument(stream.field, RecordErrors.INVALID_DATASET_RECORD,
            stream.field + ": the compressed data is corrupt (" + e.getMessage() + ")");
      }
      if (n > 0) {
        stream.count(n);
      }
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      byte[] buffer = new byte[(int) Math.min(Math.max(n, 0), 8192)];
      long skipped = 0;
      while (skipped < n) {
        int r = read(buffer, 0, (int) Math.min(buffer.length, n - skipped));
        if (r <= 0) {
          break;
        }
        skipped += r;
      }
      return skipped;
    }

    @Override
    public boolean markSupported() {
      return false;
    }
  }
}
