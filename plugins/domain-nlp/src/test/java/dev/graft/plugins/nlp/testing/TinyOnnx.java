package dev.graft.plugins.nlp.testing;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes a tiny text encoder that is not BERT-shaped: {@code last_hidden_state =
 * Gather(table, input_ids)}, a [vocab, width] embedding lookup, in ONNX's wire format (field
 * numbers from onnx.proto), so tests can import an encoder that serves Extract but cannot be
 * rebuilt as a trainable block.
 */
public final class TinyOnnx {
  private TinyOnnx() {}

  public static void write(Path file, int vocab, int width) throws IOException {
    float[] table = new float[vocab * width];
    for (int i = 0; i < table.length; i++) {
      table[i] = (float) Math.sin(i * 0.37);
    }
    ByteBuffer raw = ByteBuffer.allocate(table.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    raw.asFloatBuffer().put(table);
    byte[] tensor = message(out -> {
      out.writeInt64(1, vocab);
      out.writeInt64(1, width);
      out.writeInt32(2, 1); // FLOAT
      out.writeString(8, "table");
      out.writeBytes(9, ByteString.copyFrom(raw.array()));
    });
    byte[] node = message(out -> {
      out.writeString(1, "table");
      out.writeString(1, "input_ids");
      out.writeString(2, "last_hidden_state");
      out.writeString(3, "/lookup/Gather");
      out.writeString(4, "Gather");
    });
    byte[] graph = message(out -> {
      out.writeByteArray(1, node);
      out.writeString(2, "tiny");
      out.writeByteArray(5, tensor);
      out.writeByteArray(11, valueInfo("input_ids", 7, "batch", "tokens"));
      out.writeByteArray(11, valueInfo("attention_mask", 7, "batch", "tokens"));
      out.writeByteArray(12, valueInfo("last_hidden_state", 1, "batch", "tokens", "width"));
    });
    byte[] model = message(out -> {
      out.writeInt64(1, 7); // ir_version
      out.writeString(2, "graft-test");
      out.writeByteArray(7, graph);
      out.writeByteArray(8, message(o -> {
        o.writeString(1, "");
        o.writeInt64(2, 13);
      }));
    });
    Files.write(file, model);
  }

  private static byte[] valueInfo(String name, int elemType, String... dims) throws IOException {
    byte[] shape = message(out -> {
      for (String d : dims) {
        out.writeByteArray(1, message(o -> o.writeString(2, d)));
      }
    });
    byte[] tensorType = message(out -> {
      out.writeInt32(1, elemType);
      out.writeByteArray(2, shape);
    });
    byte[] type = message(out -> out.writeByteArray(1, tensorType));
    return message(out -> {
      out.writeString(1, name);
      out.writeByteArray(2, type);
    });
  }

  private interface Body {
    void write(CodedOutputStream out) throws IOException;
  }

  private static byte[] message(Body body) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    CodedOutputStream out = CodedOutputStream.newInstance(bytes);
    body.write(out);
    out.flush();
    return bytes.toByteArray();
  }
}
