package dev.graft.plugins.vision.torchscript;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * The parts of a TorchScript archive (a zip written by {@code torch.jit.save}) that PyTorch
 * turns into code or objects when it loads the file: every {@code .py} entry (TorchScript
 * source) and every pickle ({@code .pkl}, {@code .debug_pkl}), read with hard bounds. The file
 * must start as a zip (PyTorch's other format, a flatbuffer module, is refused), hold at most
 * {@value #MAX_ENTRIES} entries, and its code and pickles together at most
 * {@value #MAX_AUDITED_BYTES} bytes (counted while reading, not taken from the headers). Entry
 * names with {@code ..}, a leading slash, a backslash or a control character, names that differ
 * only in case (PyTorch looks records up without regard to case), and legacy
 * ({@code model.json}) archives are refused.
 *
 * <p>Immutable once read.
 *
 * @param code the code entries (name and bytes), in the zip's order
 * @param pickles the pickle entries, in the zip's order
 * @param sizes the uncompressed size of every entry as the zip's directory gives it (what
 *     PyTorch allocates for a record), by name in lower case (PyTorch's lookup ignores case)
 */
record ScriptArchive(List<Entry> code, List<Entry> pickles, Map<String, Long> sizes) {
  /** The most entries an archive may hold. */
  static final int MAX_ENTRIES = 20_000;
  /** The most bytes of code and pickles an archive may hold, all entries together. */
  static final long MAX_AUDITED_BYTES = 16L << 20;
  /** The largest central directory read (it is held in memory while the zip is open). */
  private static final long MAX_DIRECTORY_BYTES = 16L << 20;
  private static final int END_RECORD = 0x06054b50;
  private static final int ZIP64_LOCATOR = 0x07064b50;
  private static final int ZIP64_END_RECORD = 0x06064b50;

  /** One entry read in full. */
  record Entry(String name, byte[] bytes) {
    /** The bytes as UTF-8 text; malformed UTF-8 is refused rather than replaced. */
    String text() {
      try {
        return StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT)
            .decode(ByteBuffer.wrap(bytes)).toString();
      } catch (CharacterCodingException e) {
        throw Refusal.unsafe(name, 0, "is not valid UTF-8");
      }
    }
  }

  /**
   * Reads the code and pickles of {@code file}.
   *
   * @throws Refusal when the file is no bounded, well-formed TorchScript zip
   * @throws IOException when it cannot be read
   */
  static ScriptArchive read(Path file) throws IOException {
    checkShape(file);
    List<Entry> code = new ArrayList<>();
    List<Entry> pickles = new ArrayList<>();
    Map<String, Long> sizes = new HashMap<>();
    try (ZipFile zip = new ZipFile(file.toFile())) {
      if (zip.size() > MAX_ENTRIES) {
        throw tooManyEntries();
      }
      Set<String> seen = new HashSet<>();
      long budget = MAX_AUDITED_BYTES;
      int count = 0;
      for (Enumeration<? extends ZipEntry> e = zip.entries(); e.hasMoreElements();) {
        ZipEntry entry = e.nextElement();
        if (++count > MAX_ENTRIES) {
          throw tooManyEntries();
        }
        String name = entry.getName();
        String lower = name.toLowerCase(Locale.ROOT);
        checkName(name, lower, seen);
        sizes.put(lower, entry.getSize());
        boolean isCode = lower.endsWith(".py");
        boolean isPickle = lower.endsWith(".pkl") || lower.endsWith(".debug_pkl");
        if (!isCode && !isPickle) {
          continue;
        }
        byte[] bytes = readBounded(zip, entry, budget);
        budget -= bytes.length;
        (isCode ? code : pickles).add(new Entry(name, bytes));
      }
    } catch (ZipException e) {
      throw Refusal.unreadable("the file is not a readable zip archive");
    }
    if (code.isEmpty()) {
      throw Refusal.archive("the archive holds no TorchScript code (no code/*.py entry)");
    }
    return new ScriptArchive(List.copyOf(code), List.copyOf(pickles), Map.copyOf(sizes));
  }

  private static Refusal tooManyEntries() {
    return Refusal.archive("the archive holds more than " + MAX_ENTRIES + " entries");
  }

  private static void checkName(String name, String lower, Set<String> seen) {
    if (name.contains("..") || name.startsWith("/") || name.contains("\\") || name.contains(":")
        || name.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
      throw Refusal.archive("the archive has an entry with an unsafe name ("
          + Refusal.quote(name) + ")");
    }
    if (!seen.add(lower)) {
      throw Refusal.archive("the archive has two entries named " + Refusal.quote(name)
          + " (ignoring case)");
    }
    if (lower.equals("model.json") || lower.endsWith("/model.json")) {
      throw Refusal.archive("legacy TorchScript archives (with model.json) are not accepted;"
          + " save the module again with a current torch.jit.save");
    }
  }

  /** The entry's bytes, refusing once more than {@code budget} bytes come out. */
  private static byte[] readBounded(ZipFile zip, ZipEntry entry, long budget) throws IOException {
    try (InputStream in = zip.getInputStream(entry)) {
      byte[] bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, budget + 1));
      if (bytes.length > budget) {
        throw Refusal.archive("the archive's code and pickles exceed " + (MAX_AUDITED_BYTES >> 20)
            + " MiB uncompressed");
      }
      return bytes;
    }
  }

  /**
   * Refuses what is no zip (PyTorch would load a flatbuffer module, which this audit does not
   * read) and a central directory too large to hold, before the zip is opened.
   */
  private static void checkShape(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = ch.size();
      ByteBuffer head = read(ch, 0, (int) Math.min(8, size));
      if (head.limit() < 8 || head.getInt(0) != 0x04034b50) {
        throw Refusal.unreadable("the file is not a TorchScript zip archive");
      }
      if (head.get(4) == 'P' && head.get(5) == 'T' && head.get(6) == 'M' && head.get(7) == 'F') {
        throw Refusal.archive("flatbuffer TorchScript modules are not accepted");
      }
      int tailLength = (int) Math.min(size, 22 + 0xffff);
      ByteBuffer tail = read(ch, size - tailLength, tailLength);
      int end = -1;
      for (int i = tailLength - 22; i >= 0 && end < 0; i--) {
        if (tail.getInt(i) == END_RECORD) {
          end = i;
        }
      }
      if (end < 0) {
        throw Refusal.unreadable("the file is not a readable zip archive (no end record)");
      }
      long entries = tail.getShort(end + 10) & 0xffff;
      long directory = tail.getInt(end + 12) & 0xffffffffL;
      if (entries == 0xffff || directory == 0xffffffffL) {
        long[] zip64 = zip64(ch, size - tailLength + end);
        entries = zip64[0];
        directory = zip64[1];
      }
      if (entries > MAX_ENTRIES) {
        throw tooManyEntries();
      }
      if (directory > MAX_DIRECTORY_BYTES) {
        throw Refusal.archive("the archive's directory exceeds " + (MAX_DIRECTORY_BYTES >> 20)
            + " MiB");
      }
    }
  }

  /** The entry count and directory size of a zip64 end record located before {@code end}. */
  private static long[] zip64(FileChannel ch, long end) throws IOException {
    if (end < 20) {
      throw Refusal.archive("the zip64 end record is missing");
    }
    ByteBuffer locator = read(ch, end - 20, 20);
    if (locator.getInt(0) != ZIP64_LOCATOR) {
      throw Refusal.archive("the zip64 end record is missing");
    }
    long at = locator.getLong(8);
    if (at < 0 || at > end - 56) {
      throw Refusal.archive("the zip64 end record is out of place");
    }
    ByteBuffer record = read(ch, at, 56);
    if (record.getInt(0) != ZIP64_END_RECORD) {
      throw Refusal.archive("the zip64 end record is corrupt");
    }
    long entries = record.getLong(32);
    long directory = record.getLong(40);
    return new long[] {entries < 0 ? Long.MAX_VALUE : entries,
        directory < 0 ? Long.MAX_VALUE : directory};
  }

  private static ByteBuffer read(FileChannel ch, long at, int length) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
    while (b.hasRemaining()) {
      if (ch.read(b, at + b.position()) < 0) {
        break;
      }
    }
    return b.flip();
  }
}
