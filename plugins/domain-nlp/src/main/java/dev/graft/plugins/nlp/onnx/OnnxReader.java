package dev.graft.plugins.nlp.onnx;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads an ONNX model file's main graph with protobuf's wire-format reader, without generated
 * classes. Field numbers follow the official {@code onnx.proto}: ModelProto.graph = 7;
 * GraphProto node = 1, initializer = 5, input = 11, output = 12; NodeProto input = 1, output = 2,
 * name = 3, op_type = 4, attribute = 5; AttributeProto name = 1, f = 2, i = 3, t = 5;
 * TensorProto dims = 1, data_type = 2, float_data = 4, int32_data = 5, int64_data = 7, name = 8,
 * raw_data = 9, data_location = 14; ValueInfoProto name = 1. Everything else is skipped.
 * Stateless and thread-safe.
 */
public final class OnnxReader {
  private static final int DATA_LOCATION_EXTERNAL = 1;

  private OnnxReader() {}

  /**
   * Reads {@code file} into memory and parses its graph; tensors alias the file's bytes.
   *
   * @throws IOException when the file cannot be read or is not an ONNX model
   */
  public static OnnxGraph read(Path file) throws IOException {
    return parse(Files.readAllBytes(file));
  }

  /** Parses a serialized ModelProto. */
  public static OnnxGraph parse(byte[] model) throws IOException {
    CodedInputStream in = CodedInputStream.newInstance(model);
    in.enableAliasing(true);
    in.setSizeLimit(Integer.MAX_VALUE);
    OnnxGraph graph = null;
    while (true) {
      int tag = in.readTag();
      if (tag == 0) {
        break;
      }
      if (WireFormat.getTagFieldNumber(tag) == 7
          && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
        graph = graph(in.readBytes());
      } else if (!in.skipField(tag)) {
        break;
      }
    }
    if (graph == null) {
      throw new IOException("not an ONNX model: it has no graph");
    }
    return graph;
  }

  private static OnnxGraph graph(ByteString bytes) throws IOException {
    CodedInputStream in = bytes.newCodedInput();
    in.enableAliasing(true);
    in.setSizeLimit(Integer.MAX_VALUE);
    List<OnnxNode> nodes = new ArrayList<>();
    Map<String, OnnxTensor> initializers = new HashMap<>();
    List<String> inputs = new ArrayList<>();
    List<String> outputs = new ArrayList<>();
    while (true) {
      int tag = in.readTag();
      if (tag == 0) {
        break;
      }
      switch (WireFormat.getTagFieldNumber(tag)) {
        case 1 -> nodes.add(node(in.readBytes()));
        case 5 -> {
          OnnxTensor t = tensor(in.readBytes());
          initializers.put(t.name(), t);
        }
        case 11 -> inputs.add(valueName(in.readBytes()));
        case 12 -> outputs.add(valueName(in.readBytes()));
        default -> in.skipField(tag);
      }
    }
    return new OnnxGraph(nodes, initializers, inputs, outputs);
  }

  private static OnnxNode node(ByteString bytes) throws IOException {
    CodedInputStream in = bytes.newCodedInput();
    in.enableAliasing(true);
    List<String> inputs = new ArrayList<>();
    List<String> outputs = new ArrayList<>();
    Map<String, OnnxNode.Attribute> attributes = new HashMap<>();
    String name = "";
    String op = "";
    while (true) {
      int tag = in.readTag();
      if (tag == 0) {
        break;
      }
      switch (WireFormat.getTagFieldNumber(tag)) {
        case 1 -> inputs.add(in.readStringRequireUtf8());
        case 2 -> outputs.add(in.readStringRequireUtf8());
        case 3 -> name = in.readStringRequireUtf8();
        case 4 -> op = in.readStringRequireUtf8();
        case 5 -> {
          OnnxNode.Attribute a = attribute(in.readBytes());
          attributes.put(a.name(), a);
        }
        default -> in.skipField(tag);
      }
    }
    return new OnnxNode(name, op, inputs, outputs, attributes);
  }

  private static OnnxNode.Attribute attribute(ByteString bytes) throws IOException {
    CodedInputStream in = bytes.newCodedInput();
    in.enableAliasing(true);
    String name = "";
    float f = 0;
    long i = 0;
    OnnxTensor t = null;
    while (true) {
      int tag = in.readTag();
      if (tag == 0) {
        break;
      }
      switch (WireFormat.getTagFieldNumber(tag)) {
        case 1 -> name = in.readStringRequireUtf8();
        case 2 -> f = in.readFloat();
        case 3 -> i = in.readInt64();
        case 5 -> t = tensor(in.readBytes());
        default -> in.skipField(tag);
      }
    }
    return new OnnxNode.Attribute(name, f, i, t);
  }

  private static OnnxTensor tensor(ByteString bytes) throws IOException {
    CodedInputStream in = bytes.newCodedInput();
    in.enableAliasing(true);
    in.setSizeLimit(Integer.MAX_VALUE);
    LongList dims = new LongList();
    LongList longs = new LongList();
    List<Float> floats = new ArrayList<>();
    int dataType = 0;
    String name = "";
    ByteString raw = ByteString.EMPTY;
    int location = 0;
    while (true) {
      int tag = in.readTag();
      if (tag == 0) {
        break;
      }
      int wire = WireFormat.getTagWireType(tag);
      boolean packed = wire == WireFormat.WIRETYPE_LENGTH_DELIMITED;
      switch (WireFormat.getTagFieldNumber(tag)) {
        case 1 -> readVarints(in, packed, dims);
        case 2 -> dataType = in.readInt32();
        case 4 -> readFloats(in, packed, floats);
        case 5, 7 -> readVarints(in, packed, longs);
        case 8 -> name = in.readStringRequireUtf8();
        case 9 -> raw = in.readBytes();
        case 14 -> location = in.readEnum();
        default -> in.skipField(tag);
      }
    }
    if (location == DATA_LOCATION_EXTERNAL) {
      throw new IOException("tensor '" + name + "' keeps its data in an external file, which"
          + " Graft does not read; export the model with its weights inside the .onnx file");
    }
    float[] f = new float[floats.size()];
    for (int k = 0; k < f.length; k++) {
      f[k] = floats.get(k);
    }
    return new OnnxTensor(name, dims.toArray(), dataType, raw, f, longs.toArray());
  }

  private static void readVarints(CodedInputStream in, boolean packed, LongList out)
      throws IOException {
    if (!packed) {
      out.add(in.readInt64());
      return;
    }
    int limit = in.pushLimit(in.readRawVarint32());
    while (in.getBytesUntilLimit() > 0) {
      out.add(in.readInt64());
    }
    in.popLimit(limit);
  }

  private static void readFloats(CodedInputStream in, boolean packed, List<Float> out)
      throws IOException {
    if (!packed) {
      out.add(in.readFloat());
      return;
    }
    int limit = in.pushLimit(in.readRawVarint32());
    while (in.getBytesUntilLimit() > 0) {
      out.add(in.readFloat());
    }
    in.popLimit(limit);
  }

  private static String valueName(ByteString bytes) throws IOException {
    CodedInputStream in = bytes.newCodedInput();
    while (true) {
      int tag = in.readTag();
      if (tag == 0) {
        return "";
      }
      if (WireFormat.getTagFieldNumber(tag) == 1) {
        return in.readStringRequireUtf8();
      }
      in.skipField(tag);
    }
  }

  /** A growable list of longs. */
  private static final class LongList {
    private long[] values = new long[8];
    private int size;

    void add(long v) {
      if (size == values.length) {
        values = java.util.Arrays.copyOf(values, size * 2);
      }
      values[size++] = v;
    }

    long[] toArray() {
      return java.util.Arrays.copyOf(values, size);
    }
  }
}
