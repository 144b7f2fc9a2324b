package dev.graft.plugins.vision.torch;

import dev.graft.plugins.vision.torch.PickleMachine.StorageRef;
import dev.graft.plugins.vision.torch.PickleMachine.TensorRef;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Reads a PyTorch state dict saved by {@code torch.save} — a (possibly nested under one key,
 * e.g. {@code "state_dict"}) dict of name → tensor — without Python: both the zip format (the
 * default since torch 1.6: {@code <archive>/data.pkl} plus {@code <archive>/data/<key>}) and the
 * legacy format (magic number, protocol version and system-info pickles, the dict pickle, the
 * storage-key list, then each storage as an int64 element count and its little-endian bytes).
 * Float32 and int64 tensors are supported, with any storage offset and strides (views such as
 * transposes are copied out in row-major order); anything else is refused with a {@link TorchFormatException}. The pickles are read by a
 * {@link PickleMachine} that only builds data: no code in the file runs.
 *
 * <p>Stateless; thread-safe.
 */
public final class TorchStateDict {
  /** torch's legacy magic number. */
  private static final java.math.BigInteger MAGIC =
      new java.math.BigInteger("1950a86a20f9469cfc6c", 16);

  private TorchStateDict() {}

  /**
   * The tensors of the state dict in {@code file}, in the file's order.
   *
   * @throws TorchFormatException for a file that is not a supported torch state dict
   * @throws IOException when it cannot be read
   */
  public static Map<String, TorchTensor> read(Path file) throws IOException {
    byte[] head = new byte[4];
    try (InputStream in = Files.newInputStream(file)) {
      if (in.readNBytes(head, 0, 4) < 4) {
        throw new TorchFormatException(file.getFileName() + " is too short for a torch file");
      }
    }
    if (head[0] == 'P' && head[1] == 'K') {
      return readZip(file);
    }
    if ((head[0] & 0xff) == 0x80) {
      return readLegacy(file);
    }
    throw new TorchFormatException(file.getFileName()
        + " is neither a zip nor a legacy torch.save file");
  }

  private static Map<String, TorchTensor> readLegacy(Path file) throws IOException {
    try (DataInputStream in = new DataInputStream(
        new BufferedInputStream(Files.newInputStream(file), 1 << 16))) {
      PickleMachine pickle = new PickleMachine(in);
      if (!MAGIC.equals(pickle.load())) {
        throw new TorchFormatException(file.getFileName() + " does not start with torch's"
            + " magic number");
      }
      Object protocol = pickle.load();
      if (!Long.valueOf(1001).equals(protocol)) {
        throw new TorchFormatException("legacy torch protocol " + protocol + " is not supported");
      }
      Object info = pickle.load();
      if (info instanceof Map<?, ?> m && Boolean.FALSE.equals(m.get("little_endian"))) {
        throw new TorchFormatException("big-endian torch files are not supported");
      }
      Map<String, TensorRef> refs = tensors(pickle.load());
      Object keys = pickle.load();
      if (!(keys instanceof List<?> list)) {
        throw new TorchFormatException("the storage key list is missing");
      }
      Map<String, StorageRef> storages = new HashMap<>();
      for (TensorRef r : refs.values()) {
        storages.put(r.storage().key(), r.storage());
      }
      Map<String, ByteBuffer> data = new HashMap<>();
      long fileSize = Files.size(file);
      long left = fileSize;
      for (Object key : list) {
        if (!(key instanceof String)) {
          throw new TorchFormatException("a storage key is a " + PickleMachine.describe(key));
        }
        long count = Long.reverseBytes(in.readLong());
        StorageRef s = storages.get((String) key);
        int width = s == null ? 4 : elementSize(s);
        if (count < 0 || count > left / width || count * width > Integer.MAX_VALUE) {
          throw new TorchFormatException("storage " + key + " claims " + count
              + " elements, more than the file holds");
        }
        left -= count * width;
        byte[] bytes = new byte[(int) (count * width)];
        in.readFully(bytes);
        data.put(String.valueOf(key), ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN));
      }
      return resolve(refs, data::get, fileSize);
    }
  }

  private static Map<String, TorchTensor> readZip(Path file) throws IOException {
    try (ZipFile zip = new ZipFile(file.toFile())) {
      String prefix = null;
      for (Enumeration<? extends ZipEntry> e = zip.entries(); e.hasMoreElements();) {
        String name = e.nextElement().getName();
        if (name.endsWith("data.pkl") && (name.equals("data.pkl") || name.endsWith("/data.pkl"))) {
          prefix = name.substring(0, name.length() - "data.pkl".length());
          break;
        }
      }
      if (prefix == null) {
        throw new TorchFormatException(file.getFileName() + " is a zip without a data.pkl");
      }
      Map<String, TensorRef> refs;
      try (InputStream in = new BufferedInputStream(zip.getInputStream(zip.getEntry(
          prefix + "data.pkl")))) {
        refs = tensors(new PickleMachine(in).load());
      }
      String root = prefix;
      long zipSize = Files.size(file);
      Map<String, ByteBuffer> cache = new HashMap<>();
      long[] left = {zipSize};
      return resolve(refs, key -> cache.computeIfAbsent(key, k -> {
        ZipEntry entry = zip.getEntry(root + "data/" + k);
        if (entry == null) {
          return null;
        }
        try (InputStream in = zip.getInputStream(entry)) {
          // torch stores its entries uncompressed: all of them together fit in the file.
          if (entry.getMethod() != ZipEntry.STORED) {
            throw new TorchFormatException("storage " + k + " is compressed; torch.save stores"
                + " its data uncompressed");
          }
          byte[] bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, left[0] + 1));
          if (bytes.length > left[0]) {
            throw new TorchFormatException("the storages unpack to more than the file holds");
          }
          left[0] -= bytes.length;
          return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        } catch (IOException ex) {
          throw new java.io.UncheckedIOException(ex);
        }
      }), zipSize);
    } catch (java.io.UncheckedIOException e) {
      throw e.getCause();
    }
  }

  /** The name → tensor map, unwrapping a dict that holds the state dict under one key. */
  private static Map<String, TensorRef> tensors(Object root) throws IOException {
    if (root instanceof Map<?, ?> m && m.size() == 1
        && m.values().iterator().next() instanceof Map<?, ?> inner) {
      root = inner;
    }
    if (!(root instanceof Map<?, ?> map)) {
      throw new TorchFormatException("the file holds a " + describe(root) + ", not a state dict");
    }
    Map<String, TensorRef> out = new LinkedHashMap<>();
    for (Map.Entry<?, ?> e : map.entrySet()) {
      if (!(e.getKey() instanceof String name) || !(e.getValue() instanceof TensorRef t)) {
        throw new TorchFormatException("state dict entry " + e.getKey() + " is a "
            + describe(e.getValue()) + ", not a tensor");
      }
      out.put(name, t);
    }
    return out;
  }

  private interface Storages {
    ByteBuffer get(String key);
  }

  /**
   * Copies every tensor out of its storage. Views may share a storage (tied weights), but all
   * of them together may hold at most twice the file's bytes, so a small file cannot make the
   * reader allocate without bound.
   */
  private static Map<String, TorchTensor> resolve(Map<String, TensorRef> refs, Storages storages,
      long fileSize) throws IOException {
    Map<String, TorchTensor> out = new LinkedHashMap<>();
    long budget = 2 * fileSize;
    for (Map.Entry<String, TensorRef> e : refs.entrySet()) {
      TensorRef t = e.getValue();
      ByteBuffer data = storages.get(t.storage().key());
      if (data == null) {
        throw new TorchFormatException("the data of storage " + t.storage().key() + " ("
            + e.getKey() + ") is missing");
      }
      int width = elementSize(t.storage());
      int[] index = gather(e.getKey(), t, data.capacity() / width);
      budget -= (long) index.length * width;
      if (budget < 0) {
        throw new TorchFormatException("the tensors view more data than the file holds");
      }
      if (width == 4) {
        FloatBuffer source = data.duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        float[] v = new float[index.length];
        for (int i = 0; i < v.length; i++) {
          v[i] = source.get(index[i]);
        }
        out.put(e.getKey(), new TorchTensor(t.size(), v, null));
      } else {
        LongBuffer source = data.duplicate().order(ByteOrder.LITTLE_ENDIAN).asLongBuffer();
        long[] v = new long[index.length];
        for (int i = 0; i < v.length; i++) {
          v[i] = source.get(index[i]);
        }
        out.put(e.getKey(), new TorchTensor(t.size(), null, v));
      }
    }
    return out;
  }

  /**
   * The storage index of each element of the view, in row-major order (any non-negative
   * strides: permuted tensors are copied out contiguously).
   */
  private static int[] gather(String name, TensorRef t, long capacity) throws IOException {
    long[] size = t.size();
    long[] stride = t.stride();
    if (stride.length != size.length) {
      throw new TorchFormatException(name + " has " + stride.length + " strides for "
          + size.length + " sizes");
    }
    long n = 1;
    long last = t.offset();
    for (int d = 0; d < size.length; d++) {
      if (size[d] < 0 || stride[d] < 0) {
        throw new TorchFormatException(name + " has a negative size or stride");
      }
      try {
        n = Math.multiplyExact(n, size[d]);
        last = Math.addExact(last, Math.multiplyExact(Math.max(0, size[d] - 1), stride[d]));
      } catch (ArithmeticException overflow) {
        throw new TorchFormatException(name + " has sizes or strides out of range");
      }
    }
    if (n > 0 && (t.offset() < 0 || last >= capacity)) {
      throw new TorchFormatException(name + " reads past the end of its storage");
    }
    if (n > capacity) {
      throw new TorchFormatException(name + " has more elements (" + n + ") than its storage ("
          + capacity + "): broadcast views are not supported");
    }
    int[] index = new int[Math.toIntExact(n)];
    int[] at = new int[size.length];
    for (int i = 0; i < index.length; i++) {
      long p = t.offset();
      for (int d = 0; d < size.length; d++) {
        p += at[d] * stride[d];
      }
      index[i] = (int) p;
      for (int d = size.length - 1; d >= 0; d--) {
        if (++at[d] < size[d]) {
          break;
        }
        at[d] = 0;
      }
    }
    return index;
  }

  private static int elementSize(StorageRef s) {
    return s.type().equals("LongStorage") ? 8 : 4;
  }

  private static String describe(Object o) {
    return o == null ? "None" : o.getClass().getSimpleName();
  }
}
