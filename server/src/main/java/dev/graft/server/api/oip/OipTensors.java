package dev.graft.server.api.oip;

import com.google.protobuf.ByteString;
import dev.graft.api.oip.v2.InferTensorContents;
import dev.graft.api.oip.v2.ModelInferRequest;
import dev.graft.api.oip.v2.ModelInferRequest.InferInputTensor;
import dev.graft.api.oip.v2.ModelInferResponse.InferOutputTensor;
import dev.graft.api.v1.DataType;
import dev.graft.api.v1.Image;
import dev.graft.api.v1.Input;
import dev.graft.api.v1.Series;
import dev.graft.api.v1.Tensor;
import dev.graft.api.v1.Text;
import dev.graft.spi.GraftException;
import dev.graft.spi.InputKind;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Open Inference Protocol tensors in and out: input tensors become graft.v1 {@link Input}s (one
 * per row of the batch dimension), Graft's outputs become output tensors. Elements come from the
 * typed {@code contents} or from {@code raw_input_contents} (row-major, little-endian; a BYTES
 * element is a 4-byte little-endian length and its bytes). Every malformed tensor is
 * INVALID_ARGUMENT naming the tensor: wrong datatype, a shape that does not fit the input, a
 * shape whose element count differs from the data, a missing or unknown input. Stateless.
 */
final class OipTensors {
  static final String TEXT = "text";
  static final String PAIR = "pair";
  static final String IMAGE = "image";
  static final String SERIES = "series";
  static final String BYTES = "BYTES";
  static final String FP32 = "FP32";
  static final String UINT8 = "UINT8";
  /** Declared shapes above this many elements are refused before anything is read. */
  static final long MAX_ELEMENTS = 1L << 28;
  /** Declared batches above this many rows are refused before anything is read. */
  static final long MAX_ROWS = 1L << 16;

  private OipTensors() {}

  /** The input tensor names a model of these input kinds takes, the required one first. */
  static List<String> inputNames(Set<InputKind> kinds) {
    if (kinds.contains(InputKind.TEXT)) {
      return List.of(TEXT, PAIR);
    }
    if (kinds.contains(InputKind.SERIES)) {
      return List.of(SERIES);
    }
    if (kinds.contains(InputKind.IMAGE) || kinds.contains(InputKind.TENSOR)) {
      return List.of(IMAGE);
    }
    return List.of();
  }

  /** The request's tensors as one graft.v1 input per row, for a model taking {@code kinds}. */
  static List<Input> inputs(ModelInferRequest request, Set<InputKind> kinds) {
    int raw = request.getRawInputContentsCount();
    if (raw > 0 && raw != request.getInputsCount()) {
      throw GraftException.invalidArgument("raw_input_contents", "RAW_CONTENTS_MISMATCH", "raw_input_contents holds "
          + raw + " entries for " + request.getInputsCount() + " inputs: give one per input, in order");
    }
    List<String> names = inputNames(kinds);
    Map<String, Decoded> byName = new LinkedHashMap<>();
    for (int i = 0; i < request.getInputsCount(); i++) {
      InferInputTensor t = request.getInputs(i);
      String field = "inputs[" + i + "]";
      if (!names.contains(t.getName())) {
        throw GraftException.invalidArgument(field + ".name", "UNKNOWN_INPUT", "this model has no input '"
            + t.getName() + "'; it takes " + names + " (see its metadata)");
      }
      if (!t.getParametersMap().isEmpty()) {
        throw GraftException.invalidArgument(field + ".parameters", "UNKNOWN_PARAMETER",
            "input parameters are not used: " + t.getParametersMap().keySet());
      }
      if (raw > 0 && t.hasContents()) {
        throw GraftException.invalidArgument(field + ".contents", "CONTENTS_AND_RAW",
            "give each input's data either in contents or in raw_input_contents, not both");
      }
      Decoded decoded = decode(t, raw > 0 ? request.getRawInputContents(i) : null, field);
      if (byName.put(t.getName(), decoded) != null) {
        throw GraftException.invalidArgument(field + ".name", "DUPLICATE_INPUT", "input '" + t.getName()
            + "' is given twice");
      }
    }
    Decoded main = byName.get(names.isEmpty() ? "" : names.get(0));
    if (main == null) {
      throw GraftException.invalidArgument("inputs", "MISSING_INPUT", "input '" + (names.isEmpty() ? "?" : names.get(0))
          + "' is required; this model takes " + names);
    }
    return switch (main.name) {
      case TEXT -> texts(main, byName.get(PAIR));
      case SERIES -> series(main);
      default -> images(main);
    };
  }

  private static List<Input> texts(Decoded text, Decoded pair) {
    List<ByteString> first = text.strings();
    List<ByteString> second = pair == null ? null : pair.strings();
    if (second != null && second.size() != first.size()) {
      throw GraftException.invalidArgument(pair.field + ".shape", "SHAPE_MISMATCH", "pair holds " + second.size()
          + " texts for " + first.size() + " in text");
    }
    List<Input> out = new ArrayList<>(first.size());
    for (int i = 0; i < first.size(); i++) {
      Text.Builder t = Text.newBuilder().setText(utf8(first.get(i), text.field, i));
      if (second != null) {
        t.setPair(utf8(second.get(i), pair.field, i));
      }
      out.add(Input.newBuilder().setText(t).build());
    }
    return out;
  }

  private static List<Input> series(Decoded series) {
    long[] shape = series.shape;
    if (!series.datatype.equals(FP32)) {
      throw wrongType(series, FP32);
    }
    if (shape.length != 2 && shape.length != 3) {
      throw GraftException.invalidArgument(series.field + ".shape", "INVALID_SHAPE", "series takes shape [n, steps]"
          + " or [n, steps, channels], not " + Arrays.toString(shape));
    }
    float[] values = series.floats();
    int rows = (int) shape[0];
    int perRow = rows == 0 ? 0 : values.length / rows;
    int channels = shape.length == 3 ? (int) shape[2] : 1;
    List<Input> out = new ArrayList<>(rows);
    for (int r = 0; r < rows; r++) {
      Series.Builder s = Series.newBuilder().setChannels(channels);
      for (int k = r * perRow; k < (r + 1) * perRow; k++) {
        s.addValues(values[k]);
      }
      out.add(Input.newBuilder().setSeries(s).build());
    }
    return out;
  }

  private static List<Input> images(Decoded image) {
    if (image.datatype.equals(BYTES)) {
      List<Input> out = new ArrayList<>();
      for (ByteString encoded : image.strings()) {
        out.add(Input.newBuilder().setImage(Image.newBuilder().setEncoded(encoded)).build());
      }
      return out;
    }
    if (!image.datatype.equals(UINT8)) {
      throw wrongType(image, BYTES + " (encoded images) or " + UINT8 + " (pixels [n, height, width, channels])");
    }
    long[] shape = image.shape;
    if (shape.length != 4) {
      throw GraftException.invalidArgument(image.field + ".shape", "INVALID_SHAPE", "UINT8 images take shape"
          + " [n, height, width, channels], not " + Arrays.toString(shape));
    }
    ByteString pixels = image.uint8();
    int rows = (int) shape[0];
    int perRow = rows == 0 ? 0 : pixels.size() / rows;
    List<Input> out = new ArrayList<>(rows);
    for (int r = 0; r < rows; r++) {
      out.add(Input.newBuilder().setTensor(Tensor.newBuilder().setDtype(DataType.DATA_TYPE_UINT8)
          .addShape(shape[1]).addShape(shape[2]).addShape(shape[3])
          .setData(pixels.substring(r * perRow, (r + 1) * perRow))).build());
    }
    return out;
  }

  private static String utf8(ByteString bytes, String field, int row) {
    try {
      return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(bytes.asReadOnlyByteBuffer()).toString();
    } catch (CharacterCodingException e) {
      throw GraftException.invalidArgument(field, "INVALID_UTF8", field + " element " + row + " is not UTF-8 text");
    }
  }

  private static GraftException wrongType(Decoded t, String expected) {
    return GraftException.invalidArgument(t.field + ".datatype", "WRONG_DATATYPE", "input '" + t.name + "' is "
        + t.datatype + "; it takes " + expected);
  }

  private static Decoded decode(InferInputTensor t, ByteString raw, String field) {
    if (t.getShapeCount() == 0) {
      throw GraftException.invalidArgument(field + ".shape", "INVALID_SHAPE", "input '" + t.getName()
          + "' has no shape: give [n, ...] with n the batch size");
    }
    if (t.getShape(0) > MAX_ROWS) {
      throw GraftException.invalidArgument(field + ".shape", "TENSOR_TOO_LARGE", "input '" + t.getName()
          + "' declares a batch of " + t.getShape(0) + " rows; at most " + MAX_ROWS + " per request");
    }
    long elements = 1;
    for (int i = 0; i < t.getShapeCount(); i++) {
      long d = t.getShape(i);
      // Only the batch may be empty: a zero inner dimension would make rows of nothing, unbounded.
      if (d < 0 || (d == 0 && i > 0)) {
        throw GraftException.invalidArgument(field + ".shape", "INVALID_SHAPE", "input '" + t.getName()
            + "' has shape " + t.getShapeList() + ": dimensions must be at least 1 (the batch, the first, may be 0)");
      }
      elements = d == 0 ? 0 : elements > MAX_ELEMENTS / d ? MAX_ELEMENTS + 1 : elements * d;
    }
    if (elements > MAX_ELEMENTS) {
      throw GraftException.invalidArgument(field + ".shape", "TENSOR_TOO_LARGE", "input '" + t.getName()
          + "' declares shape " + t.getShapeList() + ", more than " + MAX_ELEMENTS + " elements");
    }
    long[] shape = t.getShapeList().stream().mapToLong(Long::longValue).toArray();
    return new Decoded(t.getName(), t.getDatatype(), shape, elements, t.getContents(), raw, field);
  }

  /** One input tensor, read lazily as the datatype its use needs. */
  private record Decoded(String name, String datatype, long[] shape, long elements, InferTensorContents contents,
      ByteString raw, String field) {

    /** BYTES elements of a [n] or [n, 1] tensor. */
    List<ByteString> strings() {
      if (!datatype.equals(BYTES)) {
        throw wrongType(this, BYTES);
      }
      if (shape.length > 2 || (shape.length == 2 && shape[1] != 1)) {
        throw GraftException.invalidArgument(field + ".shape", "INVALID_SHAPE", "input '" + name + "' takes shape [n]"
            + " or [n, 1], not " + Arrays.toString(shape));
      }
      List<ByteString> out;
      if (raw == null) {
        out = contents.getBytesContentsList();
      } else {
        out = new ArrayList<>();
        ByteBuffer in = raw.asReadOnlyByteBuffer().slice().order(ByteOrder.LITTLE_ENDIAN);
        while (in.hasRemaining()) {
          int length = in.remaining() < 4 ? -1 : in.getInt();
          if (length < 0 || length > in.remaining()) {
            throw GraftException.invalidArgument(field, "RAW_CONTENTS_TRUNCATED", "input '" + name + "' raw element "
                + out.size() + " runs past the end of its data (each BYTES element is a 4-byte little-endian"
                + " length, then that many bytes)");
          }
          int start = in.position();
          out.add(raw.substring(start, start + length));
          in.position(start + length);
        }
      }
      requireCount(out.size());
      return out;
    }

    float[] floats() {
      float[] out;
      if (raw == null) {
        out = new float[contents.getFp32ContentsCount()];
        for (int i = 0; i < out.length; i++) {
          out[i] = contents.getFp32Contents(i);
        }
      } else {
        if (raw.size() % Float.BYTES != 0) {
          throw dataMismatch(raw.size() + " raw bytes, not a whole number of FP32 elements");
        }
        out = new float[raw.size() / Float.BYTES];
        raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
      }
      requireCount(out.length);
      return out;
    }

    ByteString uint8() {
      ByteString out;
      if (raw == null) {
        byte[] bytes = new byte[contents.getUintContentsCount()];
        for (int i = 0; i < bytes.length; i++) {
          int v = contents.getUintContents(i);
          if (v < 0 || v > 255) {
            throw GraftException.invalidArgument(field + ".contents", "VALUE_OUT_OF_RANGE", "input '" + name
                + "' element " + i + " is " + Integer.toUnsignedString(v) + ", not a UINT8 value");
          }
          bytes[i] = (byte) v;
        }
        out = ByteString.copyFrom(bytes);
      } else {
        out = raw;
      }
      requireCount(out.size());
      return out;
    }

    private void requireCount(long count) {
      if (count != elements) {
        throw dataMismatch(count + " elements");
      }
    }

    private GraftException dataMismatch(String have) {
      return GraftException.invalidArgument(field, "SHAPE_DATA_MISMATCH", "input '" + name + "' has shape "
          + Arrays.toString(shape) + " (" + elements + " elements) but its data holds " + have);
    }
  }

  /** An FP32 output tensor [rows, width] of {@code rows}, as typed contents or raw bytes. */
  static InferOutputTensor.Builder fp32(String name, float[][] rows, int width, List<ByteString> raw) {
    InferOutputTensor.Builder out = InferOutputTensor.newBuilder().setName(name).setDatatype(FP32)
        .addShape(rows.length).addShape(width);
    if (raw != null) {
      ByteBuffer bytes = ByteBuffer.allocate(rows.length * width * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
      for (float[] row : rows) {
        for (float v : row) {
          bytes.putFloat(v);
        }
      }
      raw.add(ByteString.copyFrom(bytes.array()));
      return out;
    }
    InferTensorContents.Builder contents = InferTensorContents.newBuilder();
    for (float[] row : rows) {
      for (float v : row) {
        contents.addFp32Contents(v);
      }
    }
    return out.setContents(contents);
  }

  /** A BYTES output tensor [rows, width] of UTF-8 strings, as typed contents or raw bytes. */
  static InferOutputTensor.Builder strings(String name, List<List<String>> rows, int width, List<ByteString> raw) {
    InferOutputTensor.Builder out = InferOutputTensor.newBuilder().setName(name).setDatatype(BYTES)
        .addShape(rows.size()).addShape(width);
    if (raw != null) {
      ByteString.Output bytes = ByteString.newOutput();
      for (List<String> row : rows) {
        for (String s : row) {
          byte[] b = s.getBytes(StandardCharsets.UTF_8);
          bytes.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(b.length).array(), 0, 4);
          bytes.write(b, 0, b.length);
        }
      }
      raw.add(bytes.toByteString());
      return out;
    }
    InferTensorContents.Builder contents = InferTensorContents.newBuilder();
    rows.forEach(row -> row.forEach(s -> contents.addBytesContents(ByteString.copyFromUtf8(s))));
    return out.setContents(contents);
  }
}
