package dev.graft.server.core.store;

import dev.graft.spi.Example;
import dev.graft.spi.ModelInput;
import dev.graft.spi.Target;
import java.util.List;

/**
 * Estimates of how many bytes of heap parsed examples take on a 64-bit JVM with compressed
 * references: object headers and fields, plus the arrays and strings they hold (a string at 1
 * byte a character when all are Latin-1, else 2; the empty string is shared). Used to bound
 * parsing ({@link ParseBudget}) and to size the {@link ExamplesCache}. Stateless.
 */
public final class ExampleSizes {
  /** An object header with a few fields; an array header. */
  static final long OBJECT = 24;
  static final long ARRAY = 16;

  private ExampleSizes() {}

  /** The estimated heap bytes of one example. */
  public static long of(Example e) {
    return OBJECT + input(e.input()) + target(e.target());
  }

  /** The estimated heap bytes of all the examples (the list's own array included). */
  public static long of(List<Example> examples) {
    long total = ARRAY + 8L * examples.size();
    for (Example e : examples) {
      total += of(e);
    }
    return total;
  }

  /** The estimate for an example of a uint8 tensor of {@code dataBytes} bytes and a short label. */
  static long tensorExample(long dataBytes, int dims) {
    return OBJECT + OBJECT + string("uint8") + ARRAY + 8L * dims + ARRAY + dataBytes + OBJECT + string("000");
  }

  /** The estimate for an example of a series of {@code inputFloats} values and {@code targetFloats} targets. */
  static long seriesExample(long inputFloats, long targetFloats) {
    return OBJECT + OBJECT + ARRAY + 4 * inputFloats + OBJECT + ARRAY + 4 * targetFloats;
  }

  static long input(ModelInput in) {
    if (in instanceof ModelInput.Text t) {
      return OBJECT + string(t.text()) + string(t.pair());
    }
    if (in instanceof ModelInput.Image i) {
      return OBJECT + ARRAY + (i.encoded() == null ? 0 : i.encoded().length);
    }
    if (in instanceof ModelInput.Series s) {
      return OBJECT + ARRAY + 4L * (s.values() == null ? 0 : s.values().length);
    }
    if (in instanceof ModelInput.Tensor t) {
      return OBJECT + string(t.dtype()) + ARRAY + 8L * (t.shape() == null ? 0 : t.shape().length)
          + ARRAY + (t.data() == null ? 0 : t.data().length);
    }
    return OBJECT;
  }

  static long target(Target t) {
    if (t instanceof Target.Label l) {
      return OBJECT + string(l.label());
    }
    if (t instanceof Target.Values v) {
      return OBJECT + ARRAY + 4L * (v.values() == null ? 0 : v.values().length);
    }
    return OBJECT;
  }

  static long string(String s) {
    if (s == null || s.isEmpty()) {
      return 0;
    }
    int perChar = 1;
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) > 0xff) {
        perChar = 2;
        break;
      }
    }
    return OBJECT + ARRAY + (long) perChar * s.length();
  }
}
