package dev.graft.plugins.vision.torch;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A minimal, safe pickle reader for what {@code torch.save} writes with its default protocol 2:
 * it builds plain Java values (Long, BigInteger, Double, String, Boolean, null, lists, maps,
 * {@link Tuple}s) and never runs code. Only these globals may be called: {@code
 * collections.OrderedDict} (an empty map), {@code torch._utils._rebuild_tensor_v2} and {@code
 * torch._utils._rebuild_parameter} (a {@link TensorRef}); the storage classes
 * {@code torch.FloatStorage} and {@code torch.LongStorage} may only appear in persistent ids
 * (which become {@link StorageRef}s). Any other opcode or global is refused with a
 * {@link TorchFormatException} naming it. MARK depth, stack, memo, length and the values built
 * are bounded ({@link PickleBudget}).
 *
 * <p>Not thread-safe: one instance reads one pickle.
 */
final class PickleMachine {
  /** A pickled tuple (immutable). */
  record Tuple(List<Object> items) {}

  /** A module-level name the pickle refers to. */
  record Global(String module, String name) {
    String qualified() {
      return module + "." + name;
    }
  }

  /** A tensor storage named by a persistent id: its dtype ("FloatStorage"), key and length. */
  record StorageRef(String type, String key, long elements) {}

  /** A tensor: a view of a storage. */
  record TensorRef(StorageRef storage, long offset, long[] size, long[] stride) {}

  private static final Set<String> CALLABLE = Set.of("collections.OrderedDict",
      "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_parameter");
  private static final Set<String> STORAGES = Set.of("torch.FloatStorage", "torch.LongStorage");

  private final PickleBudget budget = new PickleBudget();
  private final DataInputStream in;
  private final List<Object> stack = new ArrayList<>();
  private final Deque<Integer> marks = new ArrayDeque<>();
  private final Map<Integer, Object> memo = new HashMap<>();

  PickleMachine(InputStream in) {
    this.in = new DataInputStream(budget.counted(in));
  }

  /**
   * Reads one pickle (up to its STOP) and returns its value.
   *
   * @throws TorchFormatException for what the reader does not allow, reason
   *     {@value PickleBudget#REASON} for a pickle beyond the bounds of {@link PickleBudget}
   */
  Object load() throws IOException {
    stack.clear();
    marks.clear();
    memo.clear();
    budget.reset();
    while (true) {
      int op = in.read();
      if (op < 0) {
        throw new EOFException("the pickle ends before its STOP opcode");
      }
      switch (op) {
        case 0x80 -> { // PROTO
          int protocol = in.readUnsignedByte();
          if (protocol > 2) {
            throw new TorchFormatException("pickle protocol " + protocol
                + " is not supported (torch.save writes protocol 2)");
          }
        }
        case '.' -> { // STOP
          return pop();
        }
        case 'c' -> { // GLOBAL
          String module = line();
          String name = line();
          Global g = new Global(module, name);
          if (!CALLABLE.contains(g.qualified()) && !STORAGES.contains(g.qualified())) {
            throw new TorchFormatException("the pickle refers to " + g.qualified()
                + ", which a state-dict reader does not allow (allowed: " + CALLABLE + ", "
                + STORAGES + ")");
          }
          push(g);
        }
        case 'q' -> memoPut(in.readUnsignedByte()); // BINPUT
        case 'r' -> memoPut(littleInt()); // LONG_BINPUT
        case 'h' -> push(memoGet(in.readUnsignedByte())); // BINGET
        case 'j' -> push(memoGet(littleInt())); // LONG_BINGET
        case '}' -> push(new LinkedHashMap<>()); // EMPTY_DICT
        case ']' -> push(new ArrayList<>()); // EMPTY_LIST
        case ')' -> push(new Tuple(List.of())); // EMPTY_TUPLE
        case '(' -> { // MARK
          budget.marks(marks.size() + 1);
          budget.allocate(PickleBudget.ELEMENT);
          marks.push(stack.size());
        }
        case 'd' -> { // DICT
          List<Object> items = popMark();
          Map<Object, Object> map = new LinkedHashMap<>();
          putAll(map, items);
          budget.allocate((long) items.size() / 2 * PickleBudget.ENTRY);
          push(map);
        }
        case 'u' -> { // SETITEMS
          List<Object> items = popMark();
          putAll(dict(peek()), items);
          budget.allocate((long) items.size() / 2 * PickleBudget.ENTRY);
        }
        case 's' -> { // SETITEM
          Object value = pop();
          Object key = pop();
          dict(peek()).put(key(key), value);
          budget.allocate(PickleBudget.ENTRY);
        }
        case 'e' -> { // APPENDS
          List<Object> items = popMark();
          list(peek()).addAll(items);
          budget.allocate((long) items.size() * PickleBudget.ELEMENT);
        }
        case 'a' -> { // APPEND
          Object value = pop();
          list(peek()).add(value);
          budget.allocate(PickleBudget.ELEMENT);
        }
        case 'l' -> push(new ArrayList<>(popMark())); // LIST
        case 't' -> push(new Tuple(Collections.unmodifiableList(popMark()))); // TUPLE
        case 0x85 -> push(new Tuple(Collections.singletonList(pop()))); // TUPLE1
        case 0x86 -> { // TUPLE2
          Object b = pop();
          Object a = pop();
          push(new Tuple(Collections.unmodifiableList(java.util.Arrays.asList(a, b))));
        }
        case 0x87 -> { // TUPLE3
          Object c = pop();
          Object b = pop();
          Object a = pop();
          push(new Tuple(Collections.unmodifiableList(java.util.Arrays.asList(a, b, c))));
        }
        case 'X' -> push(utf8(littleInt())); // BINUNICODE
        case 0x8c -> push(utf8(in.readUnsignedByte())); // SHORT_BINUNICODE
        case 'J' -> push((long) littleInt()); // BININT
        case 'K' -> push((long) in.readUnsignedByte()); // BININT1
        case 'M' -> push((long) (in.readUnsignedByte() | in.readUnsignedByte() << 8)); // BININT2
        case 0x8a -> push(long1(in.readUnsignedByte())); // LONG1
        case 'G' -> push(in.readDouble()); // BINFLOAT (big-endian)
        case 0x88 -> push(Boolean.TRUE); // NEWTRUE
        case 0x89 -> push(Boolean.FALSE); // NEWFALSE
        case 'N' -> push(null); // NONE
        case 'Q' -> push(persistent(pop())); // BINPERSID
        case 'R' -> { // REDUCE
          Object args = pop();
          Object callable = pop();
          push(call(callable, args));
        }
        case 'b' -> { // BUILD: state of an OrderedDict (e.g. _metadata); dropped
          Object state = pop();
          if (!(peek() instanceof Map) || !(state instanceof Map || state == null)) {
            throw new TorchFormatException("BUILD is only supported on a dict");
          }
        }
        default -> throw new TorchFormatException(String.format(
            "pickle opcode 0x%02x%s is not supported by the state-dict reader", op,
            op >= 0x20 && op < 0x7f ? " ('" + (char) op + "')" : ""));
      }
    }
  }

  private Object call(Object callable, Object args) throws IOException {
    if (!(callable instanceof Global g) || !(args instanceof Tuple t)) {
      throw new TorchFormatException("REDUCE needs a global and a tuple");
    }
    List<Object> a = t.items();
    switch (g.qualified()) {
      case "collections.OrderedDict":
        if (!a.isEmpty()) {
          throw new TorchFormatException("OrderedDict with arguments is not supported");
        }
        return new LinkedHashMap<>();
      case "torch._utils._rebuild_tensor_v2":
        if (a.size() < 4 || !(a.get(0) instanceof StorageRef storage)) {
          throw new TorchFormatException("_rebuild_tensor_v2 needs (storage, offset, size, stride)");
        }
        return new TensorRef(storage, number(a.get(1)), longs(a.get(2)), longs(a.get(3)));
      case "torch._utils._rebuild_parameter":
        if (a.isEmpty() || !(a.get(0) instanceof TensorRef tensor)) {
          throw new TorchFormatException("_rebuild_parameter needs a tensor");
        }
        return tensor;
      default:
        throw new TorchFormatException(g.qualified() + " cannot be called");
    }
  }

  private static StorageRef persistent(Object pid) throws IOException {
    if (!(pid instanceof Tuple t) || t.items().size() < 5 || !"storage".equals(t.items().get(0))
        || !(t.items().get(1) instanceof Global type) || !(t.items().get(2) instanceof String key)) {
      throw new TorchFormatException("unsupported persistent id (a " + describe(pid) + ")");
    }
    if (!STORAGES.contains(type.qualified())) {
      throw new TorchFormatException("storage type " + type.qualified()
          + " is not supported (float32 and int64 only)");
    }
    return new StorageRef(type.name(), key, number(t.items().get(4)));
  }

  private static long number(Object o) throws IOException {
    if (o instanceof Long l) {
      return l;
    }
    throw new TorchFormatException("expected an integer, found a " + describe(o));
  }

  private static long[] longs(Object o) throws IOException {
    if (!(o instanceof Tuple t)) {
      throw new TorchFormatException("expected a tuple of integers, found a " + describe(o));
    }
    long[] r = new long[t.items().size()];
    for (int i = 0; i < r.length; i++) {
      r[i] = number(t.items().get(i));
    }
    return r;
  }

  private static void putAll(Map<Object, Object> map, List<Object> items) throws IOException {
    if (items.size() % 2 != 0) {
      throw new TorchFormatException("SETITEMS with an odd number of items");
    }
    for (int i = 0; i < items.size(); i += 2) {
      map.put(key(items.get(i)), items.get(i + 1));
    }
  }

  /**
   * A dict key: a string or an integer only — never a container, whose hash or text could
   * recurse without end (a pickle may make a list that holds itself).
   */
  private static Object key(Object k) throws IOException {
    if (k instanceof String || k instanceof Long) {
      return k;
    }
    throw new TorchFormatException("a dict key is a " + describe(k)
        + "; a state dict's keys are strings");
  }

  /** A value's kind for messages (never its text, which could be huge or recursive). */
  static String describe(Object o) {
    if (o == null) {
      return "None";
    }
    if (o instanceof String || o instanceof Long || o instanceof Boolean || o instanceof Double) {
      String text = String.valueOf(o);
      return o.getClass().getSimpleName() + " " + (text.length() > 40 ? text.substring(0, 40)
          + "…" : text);
    }
    return o.getClass().getSimpleName();
  }

  @SuppressWarnings("unchecked")
  private static Map<Object, Object> dict(Object o) throws IOException {
    if (o instanceof Map) {
      return (Map<Object, Object>) o;
    }
    throw new TorchFormatException("expected a dict on the stack, found a " + describe(o));
  }

  @SuppressWarnings("unchecked")
  private static List<Object> list(Object o) throws IOException {
    if (o instanceof ArrayList) {
      return (List<Object>) o;
    }
    throw new TorchFormatException("expected a list on the stack, found a " + describe(o));
  }

  private void memoPut(int index) throws IOException {
    Object value = peek();
    if (memo.put(index, value) == null) {
      budget.memo(memo.size());
      budget.allocate(PickleBudget.ENTRY);
    }
  }

  private Object memoGet(int index) throws IOException {
    if (!memo.containsKey(index)) {
      throw new TorchFormatException("memo entry " + index + " is not defined");
    }
    return memo.get(index);
  }

  private void push(Object o) throws IOException {
    budget.allocate(PickleBudget.VALUE);
    budget.stack(stack.size() + 1);
    stack.add(o);
  }

  private Object peek() throws IOException {
    if (stack.size() <= (marks.isEmpty() ? 0 : marks.peek())) {
      throw new TorchFormatException("the pickle stack is empty");
    }
    return stack.get(stack.size() - 1);
  }

  private Object pop() throws IOException {
    Object o = peek();
    stack.remove(stack.size() - 1);
    return o;
  }

  private List<Object> popMark() throws IOException {
    if (marks.isEmpty()) {
      throw new TorchFormatException("the pickle uses a MARK it never set");
    }
    int at = marks.pop();
    budget.allocate((long) (stack.size() - at) * PickleBudget.ELEMENT);
    List<Object> items = new ArrayList<>(stack.subList(at, stack.size()));
    stack.subList(at, stack.size()).clear();
    return items;
  }

  private int littleInt() throws IOException {
    int b0 = in.readUnsignedByte();
    int b1 = in.readUnsignedByte();
    int b2 = in.readUnsignedByte();
    int b3 = in.readUnsignedByte();
    return b0 | b1 << 8 | b2 << 16 | b3 << 24;
  }

  private Object long1(int n) throws IOException {
    budget.readAhead(n);
    budget.allocate(2L * n);
    byte[] little = new byte[n];
    in.readFully(little);
    if (n == 0) {
      return 0L;
    }
    byte[] big = new byte[n];
    for (int i = 0; i < n; i++) {
      big[i] = little[n - 1 - i];
    }
    BigInteger v = new BigInteger(big);
    return v.bitLength() < 64 ? (Object) v.longValue() : v;
  }

  private String utf8(int length) throws IOException {
    if (length < 0 || length > (1 << 24)) {
      throw new TorchFormatException("string of " + length + " bytes in the pickle");
    }
    budget.readAhead(length);
    budget.allocate(3L * length); // the bytes, then the string's own copy (up to 2 per char)
    byte[] b = new byte[length];
    in.readFully(b);
    return new String(b, StandardCharsets.UTF_8);
  }

  private String line() throws IOException {
    StringBuilder s = new StringBuilder();
    for (int c = in.read(); c != '\n'; c = in.read()) {
      if (c < 0 || s.length() > 256) {
        throw new TorchFormatException("a GLOBAL name is not terminated");
      }
      s.append((char) c);
    }
    return s.toString();
  }
}
