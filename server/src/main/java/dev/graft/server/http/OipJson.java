package dev.graft.server.http;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import com.google.protobuf.ByteString;
import dev.graft.api.oip.v2.InferParameter;
import dev.graft.api.oip.v2.InferTensorContents;
import dev.graft.api.oip.v2.ModelInferRequest;
import dev.graft.api.oip.v2.ModelInferRequest.InferInputTensor;
import dev.graft.api.oip.v2.ModelInferResponse;
import dev.graft.api.oip.v2.ModelInferResponse.InferOutputTensor;
import dev.graft.api.oip.v2.ModelMetadataResponse;
import dev.graft.spi.GraftException;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The Open Inference Protocol's REST bodies as its gRPC messages and back, so one implementation
 * answers both. Supports the binary tensor extension: with an {@code
 * Inference-Header-Content-Length} header the body is that many bytes of JSON followed by the
 * tensors whose {@code parameters.binary_data_size} say how many bytes each takes; outputs come
 * back the same way when asked ({@code binary_data} on an output, {@code binary_data_output} on
 * the request). Elements are row-major; a BYTES element in binary is a 4-byte little-endian
 * length and its bytes. A malformed body is INVALID_ARGUMENT. Stateless.
 */
final class OipJson {
  static final String HEADER_LENGTH = "Inference-Header-Content-Length";
  private static final String BINARY_SIZE = "binary_data_size";
  private static final String BINARY = "binary_data";
  private static final String BINARY_OUTPUT = "binary_data_output";

  private OipJson() {}

  /** A decoded infer request, and which outputs the caller wants as binary. */
  record Request(ModelInferRequest proto, boolean allBinary, Set<String> binary, Set<String> notBinary) {
    boolean binary(String output) {
      return binary.contains(output) || (allBinary && !notBinary.contains(output));
    }
  }

  /** A response body: its bytes, its content type, and the JSON part's length when binary follows. */
  record Body(byte[] bytes, String contentType, Integer jsonLength) {}

  static Request request(String model, String version, byte[] body, Integer jsonLength) {
    int split = jsonLength == null ? body.length : jsonLength;
    if (split < 0 || split > body.length) {
      throw invalid(HEADER_LENGTH, "INVALID_HEADER_LENGTH", HEADER_LENGTH + " is " + split + " but the body holds "
          + body.length + " bytes");
    }
    JsonObject json = object(new String(body, 0, split, StandardCharsets.UTF_8));
    ModelInferRequest.Builder proto = ModelInferRequest.newBuilder().setModelName(model).setModelVersion(version);
    if (json.has("id")) {
      proto.setId(string(json.get("id"), "id"));
    }
    boolean allBinary = false;
    for (Map.Entry<String, JsonElement> p : members(json, "parameters")) {
      if (p.getKey().equals(BINARY_OUTPUT)) {
        allBinary = bool(p.getValue(), "parameters." + BINARY_OUTPUT);
      } else {
        proto.putParameters(p.getKey(), parameter(p.getValue(), "parameters." + p.getKey()));
      }
    }
    JsonArray inputs = array(json.get("inputs"), "inputs");
    ByteBuffer binary = ByteBuffer.wrap(body, split, body.length - split);
    List<InferInputTensor.Builder> tensors = new ArrayList<>();
    List<ByteString> raw = new ArrayList<>();
    boolean anyBinary = false;
    for (int i = 0; i < inputs.size(); i++) {
      String field = "inputs[" + i + "]";
      JsonObject in = objectOf(inputs.get(i), field);
      InferInputTensor.Builder t = InferInputTensor.newBuilder().setName(string(in.get("name"), field + ".name"))
          .setDatatype(string(in.get("datatype"), field + ".datatype"));
      for (JsonElement d : array(in.get("shape"), field + ".shape")) {
        t.addShape(integer(d, field + ".shape"));
      }
      Long size = null;
      for (Map.Entry<String, JsonElement> p : members(in, "parameters")) {
        if (p.getKey().equals(BINARY_SIZE)) {
          size = integer(p.getValue(), field + ".parameters." + BINARY_SIZE);
        } else {
          t.putParameters(p.getKey(), parameter(p.getValue(), field + ".parameters." + p.getKey()));
        }
      }
      if (size != null) {
        if (in.has("data")) {
          throw invalid(field + ".data", "CONTENTS_AND_RAW", field + " has both data and " + BINARY_SIZE);
        }
        if (size < 0 || size > binary.remaining()) {
          throw invalid(field + ".parameters." + BINARY_SIZE, "BINARY_DATA_MISMATCH", field + " claims " + size
              + " binary bytes; " + binary.remaining() + " follow the JSON");
        }
        byte[] bytes = new byte[(int) (long) size];
        binary.get(bytes);
        raw.add(ByteString.copyFrom(bytes));
        anyBinary = true;
      } else {
        List<JsonPrimitive> values = new ArrayList<>();
        flatten(in.get("data"), field + ".data", values);
        raw.add(null);
        t.setContents(contents(t.getDatatype(), values, field + ".data"));
      }
      tensors.add(t);
    }
    if (binary.hasRemaining()) {
      throw invalid("inputs", "BINARY_DATA_MISMATCH", binary.remaining() + " bytes after the JSON belong to no"
          + " input (set parameters." + BINARY_SIZE + " on each binary input)");
    }
    for (int i = 0; i < tensors.size(); i++) {
      InferInputTensor.Builder t = tensors.get(i);
      if (anyBinary) {
        // the gRPC message carries either every input raw or none
        proto.addRawInputContents(raw.get(i) != null ? raw.get(i) : Raw.encode(t.getDatatype(), t.getContents()));
        t.clearContents();
      }
      proto.addInputs(t);
    }
    Set<String> binaryOutputs = new HashSet<>();
    Set<String> notBinary = new HashSet<>();
    JsonElement outputs = json.get("outputs");
    if (outputs != null && !outputs.isJsonNull()) {
      JsonArray list = array(outputs, "outputs");
      for (int i = 0; i < list.size(); i++) {
        String field = "outputs[" + i + "]";
        JsonObject out = objectOf(list.get(i), field);
        String name = string(out.get("name"), field + ".name");
        ModelInferRequest.InferRequestedOutputTensor.Builder o =
            ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName(name);
        for (Map.Entry<String, JsonElement> p : members(out, "parameters")) {
          if (p.getKey().equals(BINARY)) {
            (bool(p.getValue(), field + ".parameters." + BINARY) ? binaryOutputs : notBinary).add(name);
          } else {
            o.putParameters(p.getKey(), parameter(p.getValue(), field + ".parameters." + p.getKey()));
          }
        }
        proto.addOutputs(o);
      }
    }
    return new Request(proto.build(), allBinary, binaryOutputs, notBinary);
  }

  static Body response(ModelInferResponse response, Request request) {
    JsonObject json = new JsonObject();
    json.addProperty("model_name", response.getModelName());
    json.addProperty("model_version", response.getModelVersion());
    if (!response.getId().isEmpty()) {
      json.addProperty("id", response.getId());
    }
    JsonArray outputs = new JsonArray();
    ByteArrayOutputStream binary = new ByteArrayOutputStream();
    for (int i = 0; i < response.getOutputsCount(); i++) {
      InferOutputTensor t = response.getOutputs(i);
      ByteString raw = i < response.getRawOutputContentsCount() ? response.getRawOutputContents(i) : null;
      JsonObject out = new JsonObject();
      out.addProperty("name", t.getName());
      out.addProperty("datatype", t.getDatatype());
      JsonArray shape = new JsonArray();
      t.getShapeList().forEach(shape::add);
      out.add("shape", shape);
      JsonObject parameters = parameters(t.getParametersMap());
      if (request.binary(t.getName())) {
        ByteString bytes = raw != null ? raw : Raw.encode(t.getDatatype(), t.getContents());
        parameters.addProperty(BINARY_SIZE, bytes.size());
        binary.writeBytes(bytes.toByteArray());
      } else {
        out.add("data", Raw.values(t.getDatatype(), t.getContents(), raw));
      }
      if (parameters.size() > 0) {
        out.add("parameters", parameters);
      }
      outputs.add(out);
    }
    json.add("outputs", outputs);
    byte[] head = json.toString().getBytes(StandardCharsets.UTF_8);
    if (binary.size() == 0) {
      return new Body(head, "application/json", null);
    }
    byte[] all = new byte[head.length + binary.size()];
    System.arraycopy(head, 0, all, 0, head.length);
    System.arraycopy(binary.toByteArray(), 0, all, head.length, binary.size());
    return new Body(all, "application/octet-stream", head.length);
  }

  static JsonObject metadata(ModelMetadataResponse m) {
    JsonObject json = new JsonObject();
    json.addProperty("name", m.getName());
    JsonArray versions = new JsonArray();
    m.getVersionsList().forEach(versions::add);
    json.add("versions", versions);
    json.addProperty("platform", m.getPlatform());
    json.add("inputs", tensors(m.getInputsList()));
    json.add("outputs", tensors(m.getOutputsList()));
    return json;
  }

  private static JsonArray tensors(List<ModelMetadataResponse.TensorMetadata> list) {
    JsonArray out = new JsonArray();
    for (ModelMetadataResponse.TensorMetadata t : list) {
      JsonObject o = new JsonObject();
      o.addProperty("name", t.getName());
      o.addProperty("datatype", t.getDatatype());
      JsonArray shape = new JsonArray();
      t.getShapeList().forEach(shape::add);
      o.add("shape", shape);
      out.add(o);
    }
    return out;
  }

  private static JsonObject parameters(Map<String, InferParameter> parameters) {
    JsonObject out = new JsonObject();
    parameters.forEach((k, v) -> {
      switch (v.getParameterChoiceCase()) {
        case BOOL_PARAM -> out.addProperty(k, v.getBoolParam());
        case INT64_PARAM -> out.addProperty(k, v.getInt64Param());
        case STRING_PARAM -> out.addProperty(k, v.getStringParam());
        default -> { }
      }
    });
    return out;
  }

  private static InferTensorContents contents(String datatype, List<JsonPrimitive> values, String field) {
    InferTensorContents.Builder c = InferTensorContents.newBuilder();
    try {
      for (JsonPrimitive v : values) {
        switch (datatype) {
          case "BYTES" -> c.addBytesContents(ByteString.copyFromUtf8(stringValue(v, field)));
          case "FP32" -> c.addFp32Contents(number(v, field).floatValue());
          case "FP64" -> c.addFp64Contents(number(v, field).doubleValue());
          case "BOOL" -> c.addBoolContents(bool(v, field));
          case "INT8" -> c.addIntContents((int) ranged(integer(v, field), -128, 127, field, datatype));
          case "INT16" -> c.addIntContents((int) ranged(integer(v, field), -32768, 32767, field, datatype));
          case "INT32" -> c.addIntContents(Math.toIntExact(integer(v, field)));
          case "INT64" -> c.addInt64Contents(integer(v, field));
          case "UINT8" -> c.addUintContents((int) ranged(integer(v, field), 0, 255, field, datatype));
          case "UINT16" -> c.addUintContents((int) ranged(integer(v, field), 0, 65535, field, datatype));
          case "UINT32" -> c.addUintContents((int) ranged(integer(v, field), 0, 0xffffffffL, field, datatype));
          case "UINT64" -> c.addUint64Contents(ranged(integer(v, field), 0, Long.MAX_VALUE, field, datatype));
          default -> throw invalid(field, "WRONG_DATATYPE", "unknown datatype '" + datatype + "'");
        }
      }
    } catch (ArithmeticException e) {
      throw invalid(field, "VALUE_OUT_OF_RANGE", field + " holds a value out of range for " + datatype);
    }
    return c.build();
  }

  private static long ranged(long value, long min, long max, String field, String datatype) {
    if (value < min || value > max) {
      throw invalid(field, "VALUE_OUT_OF_RANGE", field + " holds " + value + ", out of range for " + datatype);
    }
    return value;
  }

  private static void flatten(JsonElement e, String field, List<JsonPrimitive> out) {
    if (e == null || e.isJsonNull()) {
      throw invalid(field, "MISSING_FIELD", field + " is required (or parameters." + BINARY_SIZE + " with binary data)");
    }
    if (e.isJsonArray()) {
      for (JsonElement x : e.getAsJsonArray()) {
        flatten(x, field, out);
      }
    } else if (e.isJsonPrimitive()) {
      out.add(e.getAsJsonPrimitive());
    } else {
      throw invalid(field, "INVALID_TENSOR_DATA", field + " must hold numbers, booleans or strings, nested or flat");
    }
  }

  private static InferParameter parameter(JsonElement e, String field) {
    if (e != null && e.isJsonPrimitive()) {
      JsonPrimitive p = e.getAsJsonPrimitive();
      if (p.isBoolean()) {
        return InferParameter.newBuilder().setBoolParam(p.getAsBoolean()).build();
      }
      if (p.isString()) {
        return InferParameter.newBuilder().setStringParam(p.getAsString()).build();
      }
      return InferParameter.newBuilder().setInt64Param(integer(p, field)).build();
    }
    throw invalid(field, "INVALID_PARAMETER", field + " must be a boolean, an integer or a string");
  }

  private static JsonObject object(String text) {
    try {
      JsonElement e = JsonParser.parseString(text);
      return objectOf(e, "body");
    } catch (JsonParseException e) {
      throw invalid("body", "INVALID_JSON", "the body is not JSON: " + e.getMessage());
    }
  }

  private static JsonObject objectOf(JsonElement e, String field) {
    if (e == null || !e.isJsonObject()) {
      throw invalid(field, "INVALID_JSON", field + " must be a JSON object");
    }
    return e.getAsJsonObject();
  }

  private static Iterable<Map.Entry<String, JsonElement>> members(JsonObject o, String name) {
    JsonElement e = o.get(name);
    return e == null || e.isJsonNull() ? List.of() : objectOf(e, name).entrySet();
  }

  private static JsonArray array(JsonElement e, String field) {
    if (e == null || !e.isJsonArray()) {
      throw invalid(field, e == null ? "MISSING_FIELD" : "INVALID_JSON", field + " must be a JSON array");
    }
    return e.getAsJsonArray();
  }

  private static String string(JsonElement e, String field) {
    if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
      throw invalid(field, e == null ? "MISSING_FIELD" : "INVALID_JSON", field + " must be a string");
    }
    return e.getAsString();
  }

  private static String stringValue(JsonPrimitive p, String field) {
    if (!p.isString()) {
      throw invalid(field, "INVALID_TENSOR_DATA", field + " of a BYTES tensor must hold strings");
    }
    return p.getAsString();
  }

  private static boolean bool(JsonElement e, String field) {
    if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isBoolean()) {
      throw invalid(field, "INVALID_TENSOR_DATA", field + " must be true or false");
    }
    return e.getAsBoolean();
  }

  private static Number number(JsonPrimitive p, String field) {
    if (!p.isNumber()) {
      throw invalid(field, "INVALID_TENSOR_DATA", field + " must hold numbers");
    }
    return p.getAsNumber();
  }

  private static long integer(JsonElement e, String field) {
    if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
      throw invalid(field, "INVALID_JSON", field + " must be an integer");
    }
    try {
      return e.getAsJsonPrimitive().getAsBigDecimal().longValueExact();
    } catch (ArithmeticException | NumberFormatException x) {
      throw invalid(field, "INVALID_JSON", field + " must be an integer, not " + e);
    }
  }

  static GraftException invalid(String field, String reason, String message) {
    return GraftException.invalidArgument(field, reason, message);
  }

  /** Tensor elements between typed contents, raw little-endian bytes and JSON values. */
  static final class Raw {
    private Raw() {}

    static ByteString encode(String datatype, InferTensorContents c) {
      ByteBuffer b;
      switch (datatype) {
        case "BYTES" -> {
          ByteString.Output out = ByteString.newOutput();
          for (ByteString s : c.getBytesContentsList()) {
            out.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(s.size()).array(), 0, 4);
            out.write(s.toByteArray(), 0, s.size());
          }
          return out.toByteString();
        }
        case "FP32" -> {
          b = buffer(c.getFp32ContentsCount() * 4);
          c.getFp32ContentsList().forEach(b::putFloat);
        }
        case "FP64" -> {
          b = buffer(c.getFp64ContentsCount() * 8);
          c.getFp64ContentsList().forEach(b::putDouble);
        }
        case "BOOL" -> {
          b = buffer(c.getBoolContentsCount());
          c.getBoolContentsList().forEach(v -> b.put((byte) (v ? 1 : 0)));
        }
        case "INT8", "UINT8" -> {
          List<Integer> v = datatype.equals("INT8") ? c.getIntContentsList() : c.getUintContentsList();
          b = buffer(v.size());
          v.forEach(x -> b.put(x.byteValue()));
        }
        case "INT16", "UINT16" -> {
          List<Integer> v = datatype.equals("INT16") ? c.getIntContentsList() : c.getUintContentsList();
          b = buffer(v.size() * 2);
          v.forEach(x -> b.putShort(x.shortValue()));
        }
        case "INT32", "UINT32" -> {
          List<Integer> v = datatype.equals("INT32") ? c.getIntContentsList() : c.getUintContentsList();
          b = buffer(v.size() * 4);
          v.forEach(b::putInt);
        }
        case "INT64", "UINT64" -> {
          List<Long> v = datatype.equals("INT64") ? c.getInt64ContentsList() : c.getUint64ContentsList();
          b = buffer(v.size() * 8);
          v.forEach(b::putLong);
        }
        default -> throw invalid("datatype", "WRONG_DATATYPE", "unknown datatype '" + datatype + "'");
      }
      return ByteString.copyFrom(b.array());
    }

    /** An output's elements as a flat JSON array (FP32 and BYTES: what Graft's outputs are). */
    static JsonArray values(String datatype, InferTensorContents c, ByteString raw) {
      JsonArray out = new JsonArray();
      if (datatype.equals("FP32")) {
        if (raw == null) {
          c.getFp32ContentsList().forEach(out::add);
        } else {
          ByteBuffer b = raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
          while (b.remaining() >= 4) {
            out.add(b.getFloat());
          }
        }
      } else if (datatype.equals("BYTES")) {
        if (raw == null) {
          c.getBytesContentsList().forEach(s -> out.add(s.toStringUtf8()));
        } else {
          ByteBuffer b = raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
          while (b.remaining() >= 4) {
            byte[] s = new byte[b.getInt()];
            b.get(s);
            out.add(new String(s, StandardCharsets.UTF_8));
          }
        }
      } else {
        throw new IllegalStateException("Graft answers FP32 and BYTES outputs only, not " + datatype);
      }
      return out;
    }

    private static ByteBuffer buffer(int bytes) {
      return ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }
  }
}
