package dev.graft.server.api;

import com.google.protobuf.ByteString;
import dev.graft.api.v1.DataType;
import dev.graft.api.v1.Example;
import dev.graft.api.v1.FloatVector;
import dev.graft.api.v1.Image;
import dev.graft.api.v1.Input;
import dev.graft.api.v1.Series;
import dev.graft.api.v1.Target;
import dev.graft.api.v1.Tensor;
import dev.graft.api.v1.Text;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.GZIPOutputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/** Builders of the (mostly broken) payloads the malformed-request corpus sends. Stateless. */
final class CorpusData {
  /** The smallest PNG-looking bytes (a signature and an IEND chunk). */
  static final byte[] PNG = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 0, 'I', 'E', 'N', 'D',
      (byte) 0xae, 0x42, 0x60, (byte) 0x82};
  static final String PNG_BASE64 = Base64.getEncoder().encodeToString(PNG);

  private CorpusData() {}

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** Lines joined by LF, with a final LF. */
  static byte[] lines(String... lines) {
    return utf8(String.join("\n", lines) + "\n");
  }

  /** An IDX file of unsigned bytes: magic, dimensions, then {@code body}. */
  static byte[] idx(int[] dims, byte[] body) {
    return idx(0x08, dims, body);
  }

  static byte[] idx(int type, int[] dims, byte[] body) {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      DataOutputStream d = new DataOutputStream(out);
      d.writeInt((type << 8) | dims.length);
      for (int dim : dims) {
        d.writeInt(dim);
      }
      d.write(body);
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static byte[] gzip(byte[] data) {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
        gz.write(data);
      }
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A gzip stream of {@code header} followed by {@code zeros} zero bytes, compressed as it is written. */
  static byte[] gzipZeros(byte[] header, long zeros) {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      try (GZIPOutputStream gz = new GZIPOutputStream(out, 1 << 16)) {
        gz.write(header);
        byte[] block = new byte[1 << 16];
        for (long left = zeros; left > 0; left -= block.length) {
          gz.write(block, 0, (int) Math.min(block.length, left));
        }
      }
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A ZIP archive of (name, bytes) pairs, deflated. */
  static byte[] zip(Object... namesAndBytes) {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      try (ZipOutputStream zip = new ZipOutputStream(out)) {
        for (int i = 0; i < namesAndBytes.length; i += 2) {
          zip.putNextEntry(new ZipEntry((String) namesAndBytes[i]));
          zip.write((byte[]) namesAndBytes[i + 1]);
          zip.closeEntry();
        }
      }
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A ZIP with one deflated entry of {@code prefix} and {@code zeros} zero bytes. */
  static byte[] zipZeros(String name, byte[] prefix, long zeros) {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      try (ZipOutputStream zip = new ZipOutputStream(out)) {
        zip.putNextEntry(new ZipEntry(name));
        zip.write(prefix);
        byte[] block = new byte[1 << 16];
        for (long left = zeros; left > 0; left -= block.length) {
          zip.write(block, 0, (int) Math.min(block.length, left));
        }
        zip.closeEntry();
      }
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * {@code zip} with every central-directory entry's uncompressed size rewritten to
   * {@code declared}: an archive that lies about how much it holds.
   */
  static byte[] lyingSizes(byte[] zip, int declared) {
    byte[] out = zip.clone();
    ByteBuffer b = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i + 46 <= out.length; i++) {
      if (b.getInt(i) == 0x02014b50) { // central directory file header
        b.putInt(i + 24, declared);
      } else if (b.getInt(i) == 0x04034b50 && i + 30 <= out.length) { // local file header
        if ((b.getShort(i + 6) & 0x08) == 0) {
          b.putInt(i + 22, declared);
        }
      }
    }
    return out;
  }

  /** A ZIP archive whose one entry is stored (not deflated). */
  static byte[] storedZip(String name, byte[] data) {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      try (ZipOutputStream zip = new ZipOutputStream(out)) {
        ZipEntry e = new ZipEntry(name);
        e.setMethod(ZipEntry.STORED);
        e.setSize(data.length);
        CRC32 crc = new CRC32();
        crc.update(data);
        e.setCrc(crc.getValue());
        zip.putNextEntry(e);
        zip.write(data);
        zip.closeEntry();
      }
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Length-delimited examples, as the EXAMPLES format holds them. */
  static byte[] delimited(List<Example> examples) {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      for (Example e : examples) {
        e.writeDelimitedTo(out);
      }
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static Input text(String text) {
    return Input.newBuilder().setText(Text.newBuilder().setText(text)).build();
  }

  static Input image(byte[] bytes) {
    return Input.newBuilder().setImage(Image.newBuilder().setEncoded(ByteString.copyFrom(bytes))).build();
  }

  static Input series(int channels, float... values) {
    Series.Builder s = Series.newBuilder().setChannels(channels);
    for (float v : values) {
      s.addValues(v);
    }
    return Input.newBuilder().setSeries(s).build();
  }

  static Input tensor(DataType type, byte[] data, long... shape) {
    Tensor.Builder t = Tensor.newBuilder().setDtype(type).setData(ByteString.copyFrom(data));
    for (long d : shape) {
      t.addShape(d);
    }
    return Input.newBuilder().setTensor(t).build();
  }

  static byte[] floats(float... values) {
    ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) {
      b.putFloat(v);
    }
    return b.array();
  }

  static Example labelled(Input input, String label) {
    return Example.newBuilder().setInput(input).setTarget(Target.newBuilder().setLabel(label)).build();
  }

  static Example valued(Input input, float value) {
    return Example.newBuilder().setInput(input).setTarget(Target.newBuilder().setValue(value)).build();
  }

  static Example forecast(Input input, float... values) {
    FloatVector.Builder v = FloatVector.newBuilder();
    for (float x : values) {
      v.addValues(x);
    }
    return Example.newBuilder().setInput(input).setTarget(Target.newBuilder().setValues(v)).build();
  }
}
