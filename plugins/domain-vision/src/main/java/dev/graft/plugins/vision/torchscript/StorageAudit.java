package dev.graft.plugins.vision.torchscript;

import java.util.Locale;
import java.util.Map;

/**
 * Checks that every tensor a TorchScript archive rebuilds lies inside the bytes stored for it,
 * before PyTorch reads the file. PyTorch's TorchScript loader gives each storage the size of its
 * record ({@code <root>/data/<key>} for {@code data.pkl}, {@code <root>/constants/<key>} for
 * {@code constants.pkl}) and sets each tensor's offset, sizes and strides over it unchecked, so
 * a record cut short leaves tensors reading past the end of their memory (a native out-of-bounds
 * read: garbage or NaN features). Here every storage record must exist and hold its declared
 * element count × the element size of its type, and every tensor's last element, offset +
 * Σ (size − 1) × stride, must fall inside it (computed without overflow; negative offsets, sizes
 * and strides are refused). A record that is too small is refused with
 * {@value Refusal#STORAGE_TOO_SMALL}, naming the tensor's storage record inside the archive.
 *
 * <p>Stateless; thread-safe.
 */
final class StorageAudit {
  private static final Map<String, Integer> ELEMENT_BYTES = Map.of(
      "FloatStorage", 4, "DoubleStorage", 8, "HalfStorage", 2, "BFloat16Storage", 2,
      "LongStorage", 8, "IntStorage", 4, "ShortStorage", 2, "CharStorage", 1,
      "ByteStorage", 1, "BoolStorage", 1);
  /** The pickles whose tensors PyTorch loads, and the folder of their storage records. */
  private static final Map<String, String> TENSOR_PICKLES = Map.of(
      "data.pkl", "data/", "constants.pkl", "constants/");

  private StorageAudit() {}

  /**
   * Checks the tensors of {@code archive}'s {@code data.pkl} and {@code constants.pkl}.
   *
   * @throws Refusal STORAGE_TOO_SMALL for a tensor or storage larger than its record;
   *     UNSAFE_TORCHSCRIPT_ARCHIVE for a missing record or a malformed tensor description
   */
  static void check(ScriptArchive archive) {
    for (ScriptArchive.Entry entry : archive.pickles()) {
      String name = entry.name();
      int slash = name.indexOf('/');
      String folder = TENSOR_PICKLES.get(name.substring(slash + 1).toLowerCase(Locale.ROOT));
      if (slash <= 0 || folder == null) {
        continue;
      }
      String root = name.substring(0, slash + 1);
      for (PickleTensors.Tensor t : PickleTensors.of(entry)) {
        check(t, root + folder + t.storage().key(), name, archive.sizes());
      }
    }
  }

  private static void check(PickleTensors.Tensor t, String record, String pickle,
      Map<String, Long> sizes) {
    Integer width = ELEMENT_BYTES.get(t.storage().type());
    if (width == null) {
      throw Refusal.unsafe(pickle, 0, "rebuilds a tensor of storage type "
          + Refusal.quote(t.storage().type()));
    }
    Long size = sizes.get(record.toLowerCase(Locale.ROOT));
    if (size == null || size < 0) {
      throw Refusal.unsafe(pickle, 0, "rebuilds a tensor from " + Refusal.quote(record)
          + ", which the archive does not hold");
    }
    long elements = t.storage().elements();
    if (elements < 0 || elements > size / width) {
      throw Refusal.storageTooSmall(record, "its " + t.storage().type() + " declares " + elements
          + " elements of " + width + " bytes; the record holds " + size + " bytes");
    }
    long last = lastElement(t, record);
    if (last >= 0 && last >= size / width) {
      throw Refusal.storageTooSmall(record, "a tensor of size " + java.util.Arrays.toString(
          t.size()) + " at offset " + t.offset() + " reads element " + last + "; the record holds "
          + size / width + " elements");
    }
  }

  /**
   * The index of the tensor's last element in its storage, or -1 when it has none (a size is 0).
   */
  private static long lastElement(PickleTensors.Tensor t, String record) {
    long[] size = t.size();
    long[] stride = t.stride();
    if (size.length != stride.length || t.offset() < 0) {
      throw Refusal.unsafe(record, 0, "is viewed with " + size.length + " sizes, "
          + stride.length + " strides and offset " + t.offset());
    }
    long last = t.offset();
    try {
      for (int d = 0; d < size.length; d++) {
        if (size[d] < 0 || stride[d] < 0) {
          throw Refusal.unsafe(record, 0, "is viewed with a negative size or stride");
        }
        if (size[d] == 0) {
          return -1;
        }
        last = Math.addExact(last, Math.multiplyExact(size[d] - 1, stride[d]));
      }
    } catch (ArithmeticException overflow) {
      throw Refusal.storageTooSmall(record, "a tensor's sizes and strides overflow 64 bits");
    }
    return last;
  }
}
