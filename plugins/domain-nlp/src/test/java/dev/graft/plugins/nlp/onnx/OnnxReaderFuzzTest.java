package dev.graft.plugins.nlp.onnx;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

/**
 * Fuzz target for the minimal ONNX reader (docs/fuzzing.md). Contract: {@link OnnxReader#parse}
 * returns a graph or throws {@link IOException} (protobuf's InvalidProtocolBufferException for
 * damaged bytes); the values of every tensor it returns (initializers and Constant nodes' values)
 * are read as the BERT converter reads them, where {@link OnnxTensor#toFloats()},
 * {@link OnnxTensor#toLongs()} and {@link OnnxTensor#scalar()} may throw only their documented
 * {@link IllegalStateException}. Anything else, an OutOfMemoryError under the fuzz heap
 * included, is a finding.
 */
class OnnxReaderFuzzTest {

  @FuzzTest(maxDuration = "10s")
  void parse(byte[] data) {
    OnnxGraph graph;
    try {
      graph = OnnxReader.parse(data);
    } catch (IOException expected) {
      return;
    }
    graph.inputs();
    graph.outputs();
    for (OnnxTensor t : graph.initializers().values()) {
      values(t);
    }
    for (OnnxNode node : graph.nodes()) {
      for (String out : node.outputs()) {
        graph.producer(out);
        graph.constant(out).ifPresent(OnnxReaderFuzzTest::values);
      }
    }
  }

  private static void values(OnnxTensor t) {
    try {
      t.toFloats();
    } catch (IllegalStateException expected) {
      // not float32, or data that does not fit the dims
    }
    try {
      t.toLongs();
    } catch (IllegalStateException expected) {
      // not an integer type, or data that does not fit the dims
    }
    try {
      t.scalar();
    } catch (IllegalStateException expected) {
      // not a one-element tensor
    }
  }

  // Findings: inputs that broke the contract above (ArithmeticException, NegativeArraySizeException,
  // an allocation of the declared size before the data's length was checked), kept as regression
  // tests now that OnnxTensor checks dimensions first (docs/fuzzing.md).

  @Test
  void findingDimsBeyondAnInt() {
    parse(model(tensor(new long[] {65536, 65536}, OnnxTensor.FLOAT, 4)));
    parse(model(tensor(new long[] {65536, 65536}, OnnxTensor.INT64, 8)));
  }

  @Test
  void findingNegativeDim() {
    parse(model(tensor(new long[] {-1}, OnnxTensor.INT64, 8)));
  }

  @Test
  void findingAllocationBeforeTheLengthCheck() throws IOException {
    OnnxTensor t = OnnxReader.parse(model(tensor(new long[] {50_000_000}, OnnxTensor.INT64, 8)))
        .initializers().get("t");
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long before = threads.getCurrentThreadAllocatedBytes();
    assertThrows(IllegalStateException.class, t::toLongs);
    long allocated = threads.getCurrentThreadAllocatedBytes() - before;
    assertTrue(allocated < 1 << 20, allocated + " bytes allocated to refuse 8 bytes of data");
  }

  /** A ModelProto whose graph holds {@code initializer} alone. */
  private static byte[] model(byte[] initializer) {
    byte[] graph = message(g -> g.writeByteArray(5, initializer));
    return message(m -> {
      m.writeInt64(1, 8); // ir_version
      m.writeByteArray(7, graph);
    });
  }

  /** A TensorProto "t" of {@code dims} and {@code type} with {@code rawBytes} zero bytes of raw_data. */
  private static byte[] tensor(long[] dims, int type, int rawBytes) {
    return message(t -> {
      for (long d : dims) {
        t.writeInt64(1, d);
      }
      t.writeInt32(2, type);
      t.writeString(8, "t");
      t.writeBytes(9, ByteString.copyFrom(new byte[rawBytes]));
    });
  }

  private interface Body {
    void write(CodedOutputStream out) throws IOException;
  }

  private static byte[] message(Body body) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      CodedOutputStream out = CodedOutputStream.newInstance(bytes);
      body.write(out);
      out.flush();
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
