package dev.graft.plugins.vision.torch;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * The bounds of one pickle read by {@link PickleMachine}, checked as it goes, so that a small
 * file (or a compressed {@code data.pkl} that inflates to gigabytes) is refused within a few
 * thousand opcodes instead of filling the heap: at most {@value #MAX_MARK_DEPTH} open MARKs,
 * {@value #MAX_STACK} values on the stack, {@value #MAX_MEMO} memo entries,
 * {@value #MAX_BYTES} bytes of pickle, and about {@value #MAX_ALLOCATION} bytes of values
 * built (an estimate: every value pushed, every element put into a list, tuple or dict, every
 * string's characters and every memo entry counted). A torch state dict needs a handful of MARKs,
 * a few thousand stack entries and about a kilobyte per tensor. Every refusal is a
 * {@link TorchFormatException} with reason {@value #REASON} naming the bound.
 *
 * <p>Not thread-safe: one per {@link PickleMachine}.
 */
final class PickleBudget {
  /** The reason of every refusal. */
  static final String REASON = "PICKLE_LIMIT";
  /** The most MARKs open at once. */
  static final int MAX_MARK_DEPTH = 1_000;
  /** The most values on the stack at once. */
  static final int MAX_STACK = 100_000;
  /** The most memo entries. */
  static final int MAX_MEMO = 1_000_000;
  /** The most bytes one pickle may take from its stream. */
  static final long MAX_BYTES = 64L << 20;
  /** The most bytes (estimated) of values one pickle may build. */
  static final long MAX_ALLOCATION = 64L << 20;

  /** The estimated cost of one value pushed (object header, fields, the stack's reference). */
  static final int VALUE = 64;
  /** ... of one element added to a list or tuple. */
  static final int ELEMENT = 16;
  /** ... of one entry added to a dict, or to the memo. */
  static final int ENTRY = 48;

  private long allocated;
  private long read;

  /** Starts a new pickle. */
  void reset() {
    allocated = 0;
    read = 0;
  }

  void marks(int depth) throws TorchFormatException {
    if (depth > MAX_MARK_DEPTH) {
      throw refuse("nests more than " + MAX_MARK_DEPTH + " MARKs");
    }
  }

  void stack(int size) throws TorchFormatException {
    if (size > MAX_STACK) {
      throw refuse("holds more than " + MAX_STACK + " values on its stack");
    }
  }

  void memo(int size) throws TorchFormatException {
    if (size > MAX_MEMO) {
      throw refuse("memoises more than " + MAX_MEMO + " values");
    }
  }

  /** Counts {@code bytes} more (estimated) of values built. */
  void allocate(long bytes) throws TorchFormatException {
    allocated += bytes;
    if (allocated > MAX_ALLOCATION) {
      throw refuse("builds more than " + (MAX_ALLOCATION >> 20) + " MiB of values");
    }
  }

  /** Refuses a string or number of {@code length} bytes that the stream cannot still hold. */
  void readAhead(long length) throws TorchFormatException {
    if (length > MAX_BYTES - read) {
      throw refuse("holds a value of " + length + " bytes, beyond its " + (MAX_BYTES >> 20)
          + " MiB");
    }
  }

  /** {@code in}, counting what this pickle takes from it against {@link #MAX_BYTES}. */
  InputStream counted(InputStream in) {
    return new FilterInputStream(in) {
      @Override
      public int read() throws IOException {
        int b = super.read();
        count(b < 0 ? 0 : 1);
        return b;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        int n = super.read(b, off, len);
        count(Math.max(n, 0));
        return n;
      }

      @Override
      public long skip(long n) throws IOException {
        throw new IOException("a pickle is read, not skipped");
      }
    };
  }

  private void count(int n) throws TorchFormatException {
    read += n;
    if (read > MAX_BYTES) {
      throw refuse("is longer than " + (MAX_BYTES >> 20) + " MiB");
    }
  }

  private static TorchFormatException refuse(String what) {
    return new TorchFormatException(REASON, "the pickle " + what
        + " (a state dict needs far less): refused before it exhausts memory");
  }
}
