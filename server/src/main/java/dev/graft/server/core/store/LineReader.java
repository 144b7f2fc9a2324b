package dev.graft.server.core.store;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads UTF-8 lines ending in LF or CRLF, strictly decoded, with their 1-based numbers; drops a
 * leading byte order mark. Not thread-safe; the caller closes the stream it gave.
 */
final class LineReader {
  static final int MAX_LINE_BYTES = 64 << 20;

  private final InputStream in;
  private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
      .onMalformedInput(CodingErrorAction.REPORT)
      .onUnmappableCharacter(CodingErrorAction.REPORT);
  private final byte[] chunk = new byte[1 << 16];
  private int chunkPos;
  private int chunkLen;
  private byte[] line = new byte[256];
  private long number;

  LineReader(InputStream in) {
    this.in = in;
  }

  /** The number of the line last returned (1-based). */
  long number() {
    return number;
  }

  /**
   * The next line without its terminator, or null at the end.
   *
   * @throws dev.graft.spi.GraftException INVALID_ARGUMENT for a line that is not UTF-8 or too long
   */
  String next() throws IOException {
    int len = 0;
    boolean any = false;
    while (true) {
      if (chunkPos == chunkLen) {
        chunkLen = in.read(chunk);
        chunkPos = 0;
        if (chunkLen <= 0) {
          chunkLen = 0;
          if (!any) {
            return null;
          }
          break;
        }
      }
      any = true;
      int start = chunkPos;
      while (chunkPos < chunkLen && chunk[chunkPos] != '\n') {
        chunkPos++;
      }
      int n = chunkPos - start;
      if (len + n > MAX_LINE_BYTES) {
        throw RecordErrors.at(number + 1, "longer than " + (MAX_LINE_BYTES >> 20) + " MiB");
      }
      if (len + n > line.length) {
        line = Arrays.copyOf(line, Math.max(len + n, line.length * 2));
      }
      System.arraycopy(chunk, start, line, len, n);
      len += n;
      if (chunkPos < chunkLen) {
        chunkPos++; // the '\n'
        break;
      }
    }
    number++;
    if (len > 0 && line[len - 1] == '\r') {
      len--;
    }
    int from = 0;
    if (number == 1 && len >= 3 && (line[0] & 0xff) == 0xEF && (line[1] & 0xff) == 0xBB && (line[2] & 0xff) == 0xBF) {
      from = 3;
    }
    try {
      return utf8.decode(ByteBuffer.wrap(line, from, len - from)).toString();
    } catch (CharacterCodingException e) {
      throw RecordErrors.at(number, "not valid UTF-8 text");
    }
  }
}
