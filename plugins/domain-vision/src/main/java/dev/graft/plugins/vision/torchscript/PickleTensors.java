package dev.graft.plugins.vision.torchscript;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The tensors a TorchScript pickle ({@code data.pkl}, {@code constants.pkl}) rebuilds, found by
 * running its opcodes on a stack of inert values: every {@code torch._utils._rebuild_tensor_v2}
 * call whose storage is a persistent id {@code ('storage', torch.XStorage, key, location,
 * numel)}. Nothing is built but those descriptions, strings, integers and tuples (everything else
 * is a placeholder), and the walk is bounded: at most {@value #MAX_MARK_DEPTH} open MARKs,
 * {@value #MAX_STACK} stack values and {@value #MAX_MEMO} memo entries. Run only on a pickle that
 * {@link PickleAudit} accepted (its opcodes and globals are known).
 *
 * <p>Stateless; thread-safe.
 */
final class PickleTensors {
  static final int MAX_MARK_DEPTH = 1_000;
  static final int MAX_STACK = 100_000;
  static final int MAX_MEMO = 1_000_000;
  private static final String REBUILD = "torch._utils._rebuild_tensor_v2";
  private static final Object OTHER = new Object();

  /**
   * A storage named by a persistent id: its type ("FloatStorage"), key and element count.
   */
  record Storage(String type, String key, long elements) {}

  /** A tensor rebuilt from a storage: {@code size} and {@code stride} elements from offset. */
  record Tensor(Storage storage, long offset, long[] size, long[] stride) {}

  private record Global(String name) {}

  private record Tuple(List<Object> items) {}

  private PickleTensors() {}

  /**
   * The tensors {@code entry} rebuilds, in order.
   *
   * @throws Refusal UNSAFE_TORCHSCRIPT_ARCHIVE for a pickle beyond the bounds, or a tensor or
   *     storage whose description is malformed
   */
  static List<Tensor> of(ScriptArchive.Entry entry) {
    return new Walk(entry).run();
  }

  /** One walk over one pickle. */
  private static final class Walk {
    private final ScriptArchive.Entry entry;
    private final byte[] b;
    private final List<Object> stack = new ArrayList<>();
    private final Deque<Integer> marks = new ArrayDeque<>();
    private final Map<Long, Object> memo = new HashMap<>();
    private final List<Tensor> tensors = new ArrayList<>();
    private int pos;

    Walk(ScriptArchive.Entry entry) {
      this.entry = entry;
      this.b = entry.bytes();
    }

    List<Tensor> run() {
      while (true) {
        int op = u8();
        switch (op) {
          case 0x80 -> u8(); // PROTO (PickleAudit checked the version)
          case '.' -> { // STOP
            return tensors;
          }
          case '(' -> { // MARK
            if (marks.size() >= MAX_MARK_DEPTH) {
              throw bad("nests more than " + MAX_MARK_DEPTH + " MARKs");
            }
            marks.push(stack.size());
          }
          case 't' -> push(new Tuple(popMark())); // TUPLE
          case ')' -> push(new Tuple(List.of())); // EMPTY_TUPLE
          case 0x85, 0x86, 0x87 -> { // TUPLE1, TUPLE2, TUPLE3
            int n = op - 0x84;
            List<Object> items = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
              items.add(0, pop());
            }
            push(new Tuple(items));
          }
          case 'J' -> push((long) littleInt(4)); // BININT
          case 'K' -> push((long) u8()); // BININT1
          case 'M' -> push((long) littleInt(2) & 0xffff); // BININT2
          case 0x8a -> push(long1(u8())); // LONG1
          case 'G' -> { // BINFLOAT
            skip(8);
            push(OTHER);
          }
          case 'N', 0x88, 0x89, ']', '}' -> push(OTHER); // NONE, TRUE, FALSE, [], {}
          case 'X' -> push(string(littleInt(4) & 0xffffffffL)); // BINUNICODE
          case 'c' -> push(new Global(line() + "." + line())); // GLOBAL
          case 'q' -> memoPut(u8()); // BINPUT
          case 'r' -> memoPut(littleInt(4) & 0xffffffffL); // LONG_BINPUT
          case 'h' -> push(memoGet(u8())); // BINGET
          case 'j' -> push(memoGet(littleInt(4) & 0xffffffffL)); // LONG_BINGET
          case 'e', 'u' -> { // APPENDS, SETITEMS: the container stays
            popMark();
            peek();
          }
          case 'b' -> { // BUILD
            pop();
            peek();
          }
          case 0x81 -> { // NEWOBJ
            pop();
            pop();
            push(OTHER);
          }
          case 'Q' -> push(persistent(pop())); // BINPERSID
          case 'R' -> { // REDUCE
            Object args = pop();
            Object callable = pop();
            push(reduce(callable, args));
          }
          default -> throw bad(String.format("has the opcode 0x%02x", op));
        }
      }
    }

    private Object reduce(Object callable, Object args) {
      if (!(callable instanceof Global g) || !g.name().equals(REBUILD)) {
        return OTHER;
      }
      if (!(args instanceof Tuple t) || t.items().size() < 4
          || !(t.items().get(0) instanceof Storage storage)) {
        throw bad("calls " + REBUILD + " without (storage, offset, size, stride)");
      }
      Tensor tensor = new Tensor(storage, integer(t.items().get(1)), integers(t.items().get(2)),
          integers(t.items().get(3)));
      tensors.add(tensor);
      return tensor;
    }

    private Storage persistent(Object pid) {
      if (!(pid instanceof Tuple t) || t.items().size() != 5 || !"storage".equals(t.items().get(0))
          || !(t.items().get(1) instanceof Global type) || !(t.items().get(2) instanceof String key)
          || !(t.items().get(4) instanceof Long elements)) {
        throw bad("has a persistent id other than ('storage', type, key, location, numel)");
      }
      String name = type.name();
      return new Storage(name.substring(name.lastIndexOf('.') + 1), key, elements);
    }

    private long integer(Object o) {
      if (o instanceof Long l) {
        return l;
      }
      throw bad("rebuilds a tensor with a storage offset, size or stride that is no integer");
    }

    private long[] integers(Object o) {
      if (!(o instanceof Tuple t)) {
        throw bad("rebuilds a tensor whose size or stride is no tuple");
      }
      long[] out = new long[t.items().size()];
      for (int i = 0; i < out.length; i++) {
        out[i] = integer(t.items().get(i));
      }
      return out;
    }

    private void push(Object o) {
      if (stack.size() >= MAX_STACK) {
        throw bad("holds more than " + MAX_STACK + " values on its stack");
      }
      stack.add(o);
    }

    private Object peek() {
      if (stack.size() <= (marks.isEmpty() ? 0 : marks.peek())) {
        throw bad("pops an empty stack");
      }
      return stack.get(stack.size() - 1);
    }

    private Object pop() {
      Object o = peek();
      stack.remove(stack.size() - 1);
      return o;
    }

    private List<Object> popMark() {
      if (marks.isEmpty()) {
        throw bad("uses a MARK it never set");
      }
      int at = marks.pop();
      List<Object> items = new ArrayList<>(stack.subList(at, stack.size()));
      stack.subList(at, stack.size()).clear();
      return items;
    }

    private void memoPut(long index) {
      Object value = peek();
      if (memo.put(index, value) == null && memo.size() > MAX_MEMO) {
        throw bad("memoises more than " + MAX_MEMO + " values");
      }
    }

    private Object memoGet(long index) {
      Object value = memo.get(index);
      if (value == null) {
        throw bad("reads memo entry " + index + ", which it never wrote");
      }
      return value;
    }

    private int u8() {
      if (pos >= b.length) {
        throw bad("ends before its STOP opcode");
      }
      return b[pos++] & 0xff;
    }

    private int littleInt(int bytes) {
      int v = 0;
      for (int i = 0; i < bytes; i++) {
        v |= u8() << (8 * i);
      }
      return v;
    }

    /** A LONG1 value: a Long when it fits in 63 bits, else a placeholder. */
    private Object long1(int n) {
      if (n > 8) {
        skip(n);
        return OTHER;
      }
      long v = 0;
      for (int i = 0; i < n; i++) {
        v |= (long) u8() << (8 * i);
      }
      if (n > 0 && n < 8 && (v & (1L << (8 * n - 1))) != 0) {
        v -= 1L << (8 * n); // sign-extend
      }
      return v;
    }

    private String string(long length) {
      if (length > b.length - pos) {
        throw bad("has a string longer than the pickle");
      }
      String s = new String(b, pos, (int) length, StandardCharsets.UTF_8);
      pos += (int) length;
      return s;
    }

    private String line() {
      int start = pos;
      while (u8() != '\n') {
        // PickleAudit bounded the line
      }
      return new String(b, start, pos - start - 1, StandardCharsets.US_ASCII);
    }

    private void skip(int n) {
      if (n > b.length - pos) {
        throw bad("ends inside a value");
      }
      pos += n;
    }

    private Refusal bad(String why) {
      return Refusal.unsafe(entry.name(), 0, why);
    }
  }
}
