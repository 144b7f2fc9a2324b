package dev.graft.server.core.store;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import org.junit.jupiter.api.Test;

/** Fuzz target for ZIP uploads: the input is the archive (docs/fuzzing.md; contract in {@link ParserFuzzing}). */
class ZipDatasetParserFuzzTest {
  private static final ZipDatasetParser PARSER = new ZipDatasetParser();

  @FuzzTest(maxDuration = "10s")
  void parse(byte[] data) {
    ParserFuzzing.parse(PARSER, DatasetFormat.ZIP, null, Map.of(), Map.of("", ParserFuzzing.part("", data)));
  }

  // Findings: inputs that broke the contract above (an archive ending early was INTERNAL STORE_IO),
  // kept as regression tests now that they are INVALID_ARGUMENT (docs/fuzzing.md).

  /** The start of a PNG, enough for the archive's signature check. */
  private static final byte[] PNG = {(byte) 0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 'I', 'H', 'D', 'R'};

  @Test
  void findingLocalHeaderPastTheEnd() {
    parse(zip("cat/a.png", PNG, false, 0x7fff_0000));
  }

  @Test
  void findingDeflateStreamCutShort() {
    byte[] image = Arrays.copyOf(PNG, 4096);
    for (int i = PNG.length; i < image.length; i++) {
      image[i] = (byte) (i * 31 + i / 7);
    }
    parse(zip("cat/a.png", image, true, -1));
  }

  /**
   * An archive of one entry, stored or deflated; a deflated entry keeps only the first half of its
   * deflate stream (the sizes in its headers agree with what is there). {@code localOffset} >= 0
   * overrides the local header offset that the central directory records.
   */
  private static byte[] zip(String name, byte[] content, boolean deflate, int localOffset) {
    byte[] data = content;
    if (deflate) {
      Deflater d = new Deflater(Deflater.DEFAULT_COMPRESSION, true);
      d.setInput(content);
      d.finish();
      byte[] out = new byte[content.length * 2 + 64];
      int n = d.deflate(out);
      d.end();
      data = Arrays.copyOf(out, n / 2);
    }
    CRC32 crc = new CRC32();
    crc.update(content);
    byte[] fileName = name.getBytes(StandardCharsets.UTF_8);
    int method = deflate ? 8 : 0;
    ByteBuffer local = le(30 + fileName.length).putInt(0x04034b50).putShort((short) 20).putShort((short) 0)
        .putShort((short) method).putShort((short) 0).putShort((short) 0x21).putInt((int) crc.getValue())
        .putInt(data.length).putInt(content.length).putShort((short) fileName.length).putShort((short) 0)
        .put(fileName);
    int centralAt = local.capacity() + data.length;
    ByteBuffer central = le(46 + fileName.length).putInt(0x02014b50).putShort((short) 20).putShort((short) 20)
        .putShort((short) 0).putShort((short) method).putShort((short) 0).putShort((short) 0x21)
        .putInt((int) crc.getValue()).putInt(data.length).putInt(content.length)
        .putShort((short) fileName.length).putShort((short) 0).putShort((short) 0).putShort((short) 0)
        .putShort((short) 0).putInt(0).putInt(localOffset >= 0 ? localOffset : 0).put(fileName);
    ByteBuffer end = le(22).putInt(0x06054b50).putShort((short) 0).putShort((short) 0).putShort((short) 1)
        .putShort((short) 1).putInt(central.capacity()).putInt(centralAt).putShort((short) 0);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(local.array());
    out.writeBytes(data);
    out.writeBytes(central.array());
    out.writeBytes(end.array());
    return out.toByteArray();
  }

  private static ByteBuffer le(int size) {
    return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
  }
}
