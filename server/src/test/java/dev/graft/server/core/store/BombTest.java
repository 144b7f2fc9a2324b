package dev.graft.server.core.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.server.api.ExamplesDatasetParser;
import dev.graft.server.core.Limits;
import dev.graft.spi.ErrorKind;
import dev.graft.spi.GraftException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Decompression and amplification bombs against a store with the default quota
 * ({@code max-dataset-bytes} = 1 GiB): each is refused with RESOURCE_EXHAUSTED or
 * INVALID_ARGUMENT and a reason within a second (the series CSV, whose rows must be read until its
 * windows pass the budget, within two on a loaded machine), allocating (on the parsing thread) less
 * than {@value #MAX_ALLOCATED} bytes — the bound docs/api.md documents. The upload's own bytes are
 * sent first and not counted. Each case prints its time, allocation and the process's resident memory.
 */
class BombTest {
  static final long MAX_ALLOCATED = 256L << 20;
  static final long MAX_MILLIS = 1000;

  @TempDir Path root;
  private StoreLayout layout;
  private DatasetStore store;

  @BeforeEach
  void open() {
    layout = new StoreLayout(root);
    Limits limits = new Limits(1L << 30, 100, 0, 64, 1L << 40, Duration.ofSeconds(60),
        Limits.KeepCheckpoints.BEST, Duration.ofDays(7), 16);
    store = new LocalDatasetStore(layout, new JsonCodec(), Map.of(
        DatasetFormat.JSONL, new JsonlDatasetParser(),
        DatasetFormat.CSV, new CsvDatasetParser(),
        DatasetFormat.IDX, new IdxDatasetParser(),
        DatasetFormat.EXAMPLES, new ExamplesDatasetParser(),
        DatasetFormat.ZIP, new ZipDatasetParser()), limits);
  }

  @AfterEach
  void close() {
    layout.close();
  }

  @Test
  void gzippedIdxDeclaringAMillionImagesIsRefusedAtItsHeader() throws IOException {
    // 784 MB of zero pixels behind a header that admits it: about 780 KB gzipped
    byte[] images = gzipZeros(idxHeader(1_000_000, 28, 28), 784_000_000L);
    byte[] labels = gzipZeros(idxHeader(1_000_000), 1_000_000);
    assertTrue(images.length < 1_000_000, images.length + " bytes");
    refused("IDX 780 KB gzip bomb", DatasetFormat.IDX, Map.of("images", images, "labels", labels),
        ErrorKind.RESOURCE_EXHAUSTED, ParseBudget.DECOMPRESSED_TOO_LARGE);
  }

  @Test
  void gzippedIdxWithinTheRatioFloorButOverItsClaimIsCutShort() throws IOException {
    // declares 10 images but holds 50 MB of zeros: only the declared bytes are ever decoded
    byte[] images = gzipZeros(idxHeader(10, 28, 28), 50_000_000L);
    byte[] labels = gzip(idx(new byte[10], 10));
    long start = System.nanoTime();
    DatasetRecord r = upload("idx-extra", DatasetFormat.IDX, Map.of("images", images, "labels", labels));
    assertEquals(10, r.examples());
    assertTrue(System.nanoTime() - start < 5_000_000_000L);
  }

  @Test
  void zipBombThatAdmitsItsSizeIsRefusedBeforeDecoding() throws IOException {
    // 64 entries of 64 MiB of zeros: 4 GiB in about 4 MB
    byte[] zip = zipOfZeros(64, 64 << 20, false);
    assertTrue(zip.length < 5_000_000, zip.length + " bytes");
    refused("ZIP 4 MB bomb (honest sizes)", DatasetFormat.ZIP, Map.of("", zip),
        ErrorKind.RESOURCE_EXHAUSTED, ParseBudget.DECOMPRESSED_TOO_LARGE);
  }

  @Test
  void zipBombThatLiesAboutItsSizeStopsAtTheDeclaredSize() throws IOException {
    byte[] zip = zipOfZeros(64, 64 << 20, true);
    refused("ZIP 4 MB bomb (lying sizes)", DatasetFormat.ZIP, Map.of("", zip),
        ErrorKind.INVALID_ARGUMENT, RecordErrors.INVALID_DATASET_RECORD);
  }

  @Test
  void seriesWindowsThatWouldAmplifyAreRefusedBeforeTheyAreBuilt() throws IOException {
    StringBuilder csv = new StringBuilder("value\n");
    for (int i = 0; i < 200_000; i++) {
      csv.append(i % 10).append('\n');
    }
    refused("series CSV 400 KB → 40 GB of windows", DatasetFormat.CSV,
        Map.of("", csv.toString().getBytes(StandardCharsets.UTF_8)), ErrorKind.RESOURCE_EXHAUSTED,
        ParseBudget.PARSED_TOO_LARGE, Map.of("layout", "long", "horizon", "1", "context_length", "100000",
            "stride", "1"), 2 * MAX_MILLIS);
  }

  @Test
  void examplesWithAHugeLengthPrefixAreRefused() throws IOException {
    byte[] data = {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x07, 1, 2, 3};
    refused("EXAMPLES 2 GiB length prefix", DatasetFormat.EXAMPLES, Map.of("", data),
        ErrorKind.INVALID_ARGUMENT, RecordErrors.INVALID_DATASET_RECORD);
  }

  @Test
  void csvOfAMillionFieldsIsRefused() throws IOException {
    byte[] csv = ("text,label\n" + ",".repeat(5_000_000) + "\n").getBytes(StandardCharsets.UTF_8);
    refused("CSV of 5,000,000 empty fields", DatasetFormat.CSV, Map.of("", csv), ErrorKind.INVALID_ARGUMENT,
        RecordErrors.INVALID_DATASET_RECORD);
  }

  @Test
  void aDecodingStreamStopsAtItsAllowance() throws IOException {
    ParseBudget budget = new ParseBudget(1L << 30, 1L << 30);
    byte[] gz = gzipZeros(new byte[0], 200_000_000L);
    long allowance = budget.allowance(gz.length);
    assertEquals(ParseBudget.RATIO_FLOOR, allowance, "a small file gets the floor");
    try (InputStream in = budget.decoding(new GZIPInputStream(new ByteArrayInputStream(gz)), gz.length, "data")) {
      GraftException e = assertThrows(GraftException.class, () -> in.transferTo(OutputStreamNull.INSTANCE));
      assertEquals(ErrorKind.RESOURCE_EXHAUSTED, e.kind());
      assertEquals(ParseBudget.DECOMPRESSED_TOO_LARGE, e.reason());
    }
    ParseBudget small = new ParseBudget(1000, 1L << 30);
    byte[] kb = gzipZeros(new byte[0], 5000);
    try (InputStream in = small.decoding(new GZIPInputStream(new ByteArrayInputStream(kb)), kb.length, "data")) {
      GraftException e = assertThrows(GraftException.class, () -> in.transferTo(OutputStreamNull.INSTANCE));
      assertTrue(e.getMessage().contains("max-dataset-bytes"), e.getMessage());
    }
  }

  @Test
  void theCacheIsSizedByParsedBytes() {
    ExamplesCache cache = new ExamplesCache(10_000);
    var one = List.of(new dev.graft.spi.Example(new dev.graft.spi.ModelInput.Image(new byte[6000]),
        new dev.graft.spi.Target.Label("x")));
    cache.put("a", one);
    assertTrue(cache.usedBytes() > 6000, "estimated " + cache.usedBytes());
    cache.put("b", one);
    assertEquals(null, cache.get("a"), "evicted: the two together are over budget");
    cache.put("c", List.of(new dev.graft.spi.Example(new dev.graft.spi.ModelInput.Image(new byte[20_000]),
        new dev.graft.spi.Target.Label("x"))));
    assertEquals(null, cache.get("c"), "over budget alone: not cached");
  }

  // ---------------------------------------------------------------------------------------------

  private DatasetRecord upload(String name, DatasetFormat format, Map<String, byte[]> parts) {
    return upload(name, format, parts, Map.of());
  }

  private DatasetRecord upload(String name, DatasetFormat format, Map<String, byte[]> parts, Map<String, String> options) {
    try (DatasetUpload up = store.begin(new DatasetSpecRecord(name, "d", format, null, options), "bomber")) {
      parts.forEach((part, data) -> {
        for (int off = 0; off < data.length; off += 1 << 20) {
          up.write(part, data, off, Math.min(1 << 20, data.length - off));
        }
      });
      return up.commit();
    }
  }

  private void refused(String what, DatasetFormat format, Map<String, byte[]> parts, ErrorKind kind, String reason)
      throws IOException {
    refused(what, format, parts, kind, reason, Map.of());
  }

  /** Uploads the parts, then times and measures the commit (the parse), which must be refused. */
  private void refused(String what, DatasetFormat format, Map<String, byte[]> parts, ErrorKind kind, String reason,
      Map<String, String> options) throws IOException {
    refused(what, format, parts, kind, reason, options, MAX_MILLIS);
  }

  private void refused(String what, DatasetFormat format, Map<String, byte[]> parts, ErrorKind kind, String reason,
      Map<String, String> options, long maxMillis) throws IOException {
    System.gc();
    long rssBefore = status("VmRSS");
    long hwmBefore = status("VmHWM");
    try (DatasetUpload up = store.begin(new DatasetSpecRecord("bomb", "d", format, null, options), "bomber")) {
      parts.forEach((part, data) -> {
        for (int off = 0; off < data.length; off += 1 << 20) {
          up.write(part, data, off, Math.min(1 << 20, data.length - off));
        }
      });
      long allocated = allocated();
      long start = System.nanoTime();
      GraftException e = assertThrows(GraftException.class, up::commit);
      long millis = (System.nanoTime() - start) / 1_000_000;
      allocated = allocated() - allocated;
      System.out.printf("bomb: %s (%d bytes sent): %s %s after %d ms, %d MB allocated; RSS %d → %d MB, peak +%d MB%n",
          what, parts.values().stream().mapToLong(b -> b.length).sum(), e.kind(), e.reason(), millis,
          allocated >> 20, rssBefore >> 20, status("VmRSS") >> 20, (status("VmHWM") - hwmBefore) >> 20);
      assertEquals(kind + " " + reason, e.kind() + " " + e.reason(), e.getMessage());
      assertTrue(millis < maxMillis, what + " took " + millis + " ms");
      assertTrue(allocated < MAX_ALLOCATED, what + " allocated " + allocated + " bytes");
      assertTrue(e.getMessage().length() < 1000, e.getMessage());
    }
  }

  private static long allocated() {
    return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
  }

  /** A value of /proc/self/status in bytes, or -1 where there is none. */
  private static long status(String key) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith(key + ":")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux
    }
    return -1;
  }

  static byte[] idxHeader(int... dims) {
    return idx(new byte[0], dims);
  }

  static byte[] idx(byte[] body, int... dims) {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      DataOutputStream d = new DataOutputStream(out);
      d.writeInt(0x0800 | dims.length);
      for (int dim : dims) {
        d.writeInt(dim);
      }
      d.write(body);
      return out.toByteArray();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  static byte[] gzip(byte[] data) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(data);
    }
    return out.toByteArray();
  }

  static byte[] gzipZeros(byte[] header, long zeros) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out, 1 << 16)) {
      gz.write(header);
      byte[] block = new byte[1 << 20];
      for (long left = zeros; left > 0; left -= block.length) {
        gz.write(block, 0, (int) Math.min(block.length, left));
      }
    }
    return out.toByteArray();
  }

  /**
   * A ZIP of {@code entries} deflated BMP-named entries of "BM" and zeros ({@code size} bytes each),
   * written by hand so that the compressed data is computed once; with {@code lie} the directory
   * declares 1000 bytes per entry.
   */
  static byte[] zipOfZeros(int entries, int size, boolean lie) {
    byte[] content = new byte[size];
    content[0] = 'B';
    content[1] = 'M';
    CRC32 crc = new CRC32();
    crc.update(content);
    Deflater deflater = new Deflater(Deflater.BEST_COMPRESSION, true);
    deflater.setInput(content);
    deflater.finish();
    ByteArrayOutputStream deflated = new ByteArrayOutputStream();
    byte[] buffer = new byte[1 << 16];
    while (!deflater.finished()) {
      deflated.write(buffer, 0, deflater.deflate(buffer));
    }
    deflater.end();
    byte[] data = deflated.toByteArray();
    int declared = lie ? 1000 : size;
    ByteBuffer out = ByteBuffer.allocate(entries * (30 + 46 + 2 * 16 + data.length) + 22).order(ByteOrder.LITTLE_ENDIAN);
    int[] offsets = new int[entries];
    for (int i = 0; i < entries; i++) {
      byte[] name = String.format("cat/%04d.bmp", i).getBytes(StandardCharsets.US_ASCII);
      offsets[i] = out.position();
      out.putInt(0x04034b50).putShort((short) 20).putShort((short) 0).putShort((short) 8).putShort((short) 0)
          .putShort((short) 0).putInt((int) crc.getValue()).putInt(data.length).putInt(declared)
          .putShort((short) name.length).putShort((short) 0).put(name).put(data);
    }
    int cd = out.position();
    for (int i = 0; i < entries; i++) {
      byte[] name = String.format("cat/%04d.bmp", i).getBytes(StandardCharsets.US_ASCII);
      out.putInt(0x02014b50).putShort((short) 20).putShort((short) 20).putShort((short) 0).putShort((short) 8)
          .putShort((short) 0).putShort((short) 0).putInt((int) crc.getValue()).putInt(data.length).putInt(declared)
          .putShort((short) name.length).putShort((short) 0).putShort((short) 0).putShort((short) 0)
          .putShort((short) 0).putInt(0).putInt(offsets[i]).put(name);
    }
    int cdSize = out.position() - cd;
    out.putInt(0x06054b50).putShort((short) 0).putShort((short) 0).putShort((short) entries)
        .putShort((short) entries).putInt(cdSize).putInt(cd).putShort((short) 0);
    byte[] zip = new byte[out.position()];
    out.flip();
    out.get(zip);
    return zip;
  }

  /** Discards what it is given. */
  private static final class OutputStreamNull extends java.io.OutputStream {
    static final OutputStreamNull INSTANCE = new OutputStreamNull();

    @Override
    public void write(int b) {}

    @Override
    public void write(byte[] b, int off, int len) {}
  }
}
