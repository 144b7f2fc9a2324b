package dev.graft.server.api;

import dev.graft.api.v1.DataType;
import dev.graft.api.v1.Input;
import dev.graft.server.core.Echo;
import dev.graft.server.core.store.DatasetRecord;
import dev.graft.server.core.store.ImageSignatures;
import dev.graft.spi.Example;
import dev.graft.spi.GraftException;
import dev.graft.spi.ModelInput;
import dev.graft.spi.Target;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Turns API inputs and examples into SPI ones, naming the field of anything malformed. Checks
 * what holds for every domain: series and float tensors hold finite numbers ({@code NON_FINITE_VALUE}),
 * a tensor has 1 to {@value #MAX_RANK} dimensions, each ≥ 1, whose product (computed without
 * overflow) times the dtype's size is exactly its data's length ({@code INVALID_TENSOR_SHAPE},
 * {@code INVALID_TENSOR_DATA}), image bytes are PNG, JPEG, BMP or GIF
 * ({@code UNSUPPORTED_IMAGE_FORMAT}), targets are finite and labels at most
 * {@value DatasetRecord#MAX_LABEL_CHARS} characters. Stateless.
 */
final class InputMapper {
  /** The most dimensions of a tensor input. */
  static final int MAX_RANK = 8;

  private InputMapper() {}

  public static List<ModelInput> inputs(List<Input> inputs, String field) {
    List<ModelInput> out = new ArrayList<>(inputs.size());
    for (int i = 0; i < inputs.size(); i++) {
      out.add(input(inputs.get(i), field + "[" + i + "]"));
    }
    return out;
  }

  static ModelInput input(Input in, String field) {
    return switch (in.getValueCase()) {
      case TEXT -> new ModelInput.Text(in.getText().getText(), in.getText().getPair());
      case IMAGE -> {
        byte[] bytes = in.getImage().getEncoded().toByteArray();
        if (bytes.length > 0 && ImageSignatures.format(bytes) == null) {
          throw GraftException.invalidArgument(field + ".image", "UNSUPPORTED_IMAGE_FORMAT",
              field + ".image is not a PNG, JPEG, BMP or GIF image");
        }
        yield new ModelInput.Image(bytes);
      }
      case SERIES -> series(in.getSeries(), field);
      case TENSOR -> tensor(in.getTensor(), field);
      case VALUE_NOT_SET -> throw GraftException.invalidArgument(field, "EMPTY_INPUT",
          field + " is empty: set text, image, series or tensor");
    };
  }

  private static ModelInput series(dev.graft.api.v1.Series s, String field) {
    if (s.getChannels() < 0) {
      throw GraftException.invalidArgument(field + ".series.channels", "INVALID_SERIES", field
          + ".series.channels is " + s.getChannels() + "; it must be ≥ 1 (0 means 1)");
    }
    int channels = Math.max(1, s.getChannels());
    if (s.getValuesCount() == 0) {
      throw GraftException.invalidArgument(field + ".series.values", "INVALID_SERIES", field + ".series has no values");
    }
    if (s.getValuesCount() % channels != 0) {
      throw GraftException.invalidArgument(field + ".series", "INVALID_SERIES", field + ": "
          + s.getValuesCount() + " values do not divide into " + channels + " channels");
    }
    float[] values = new float[s.getValuesCount()];
    for (int i = 0; i < values.length; i++) {
      values[i] = s.getValues(i);
      if (!Float.isFinite(values[i])) {
        throw nonFinite(field + ".series.values[" + i + "]", values[i]);
      }
    }
    return new ModelInput.Series(values, channels);
  }

  private static ModelInput tensor(dev.graft.api.v1.Tensor t, String field) {
    if (t.getDtype() == DataType.DATA_TYPE_UNSPECIFIED || t.getDtype() == DataType.UNRECOGNIZED) {
      throw GraftException.invalidArgument(field + ".tensor.dtype", "MISSING_DTYPE", field + ": tensor dtype is required");
    }
    int rank = t.getShapeCount();
    if (rank < 1 || rank > MAX_RANK) {
      throw GraftException.invalidArgument(field + ".tensor.shape", "INVALID_TENSOR_SHAPE",
          field + ": a tensor has 1 to " + MAX_RANK + " dimensions, not " + rank);
    }
    long[] shape = new long[rank];
    long elements = 1;
    for (int d = 0; d < rank; d++) {
      shape[d] = t.getShape(d);
      if (shape[d] < 1) {
        throw GraftException.invalidArgument(field + ".tensor.shape", "INVALID_TENSOR_SHAPE",
            field + ": dimension " + d + " of the tensor is " + shape[d] + "; each must be ≥ 1");
      }
      if (elements > Long.MAX_VALUE / shape[d]) {
        throw GraftException.invalidArgument(field + ".tensor.shape", "INVALID_TENSOR_SHAPE",
            field + ": the tensor shape " + Echo.cut(Arrays.toString(shape)) + " has more elements than a tensor can hold");
      }
      elements *= shape[d];
    }
    int size = elementSize(t.getDtype());
    int bytes = t.getData().size();
    if (elements > bytes / size || elements * size != bytes) {
      throw GraftException.invalidArgument(field + ".tensor.data", "INVALID_TENSOR_DATA",
          field + ": the tensor holds " + bytes + " bytes; shape " + Arrays.toString(shape) + " of "
              + t.getDtype().name().substring("DATA_TYPE_".length()).toLowerCase(Locale.ROOT) + " needs "
              + (elements > Long.MAX_VALUE / size ? "more" : Long.toString(elements * size)));
    }
    byte[] data = t.getData().toByteArray();
    checkFinite(t.getDtype(), data, field + ".tensor.data");
    return new ModelInput.Tensor(t.getDtype().name().substring("DATA_TYPE_".length()).toLowerCase(Locale.ROOT),
        shape, data);
  }

  private static int elementSize(DataType type) {
    return switch (type) {
      case DATA_TYPE_FLOAT64, DATA_TYPE_INT64 -> 8;
      case DATA_TYPE_FLOAT32, DATA_TYPE_INT32 -> 4;
      case DATA_TYPE_FLOAT16 -> 2;
      default -> 1;
    };
  }

  /** Refuses NaN and infinities in float tensors (little-endian, as ModelInput.Tensor says). */
  private static void checkFinite(DataType type, byte[] data, String field) {
    ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
    switch (type) {
      case DATA_TYPE_FLOAT32 -> {
        for (int i = 0; i < data.length / 4; i++) {
          float v = b.getFloat(4 * i);
          if (!Float.isFinite(v)) {
            throw nonFinite(field + "[" + i + "]", v);
          }
        }
      }
      case DATA_TYPE_FLOAT64 -> {
        for (int i = 0; i < data.length / 8; i++) {
          double v = b.getDouble(8 * i);
          if (!Double.isFinite(v)) {
            throw nonFinite(field + "[" + i + "]", v);
          }
        }
      }
      case DATA_TYPE_FLOAT16 -> {
        for (int i = 0; i < data.length / 2; i++) {
          if ((b.getShort(2 * i) & 0x7c00) == 0x7c00) {
            throw GraftException.invalidArgument(field + "[" + i + "]", "NON_FINITE_VALUE",
                field + "[" + i + "] is not a finite number");
          }
        }
      }
      default -> {
        // integer types are always finite
      }
    }
  }

  static List<Example> examples(List<dev.graft.api.v1.Example> examples, String field) {
    List<Example> out = new ArrayList<>(examples.size());
    for (int i = 0; i < examples.size(); i++) {
      out.add(example(examples.get(i), field + "[" + i + "]"));
    }
    return out;
  }

  static Example example(dev.graft.api.v1.Example e, String field) {
    if (!e.hasInput()) {
      throw GraftException.invalidArgument(field + ".input", "MISSING_INPUT", field + " has no input");
    }
    return new Example(input(e.getInput(), field + ".input"), target(e.getTarget(), field + ".target"));
  }

  private static Target target(dev.graft.api.v1.Target t, String field) {
    return switch (t.getKindCase()) {
      case LABEL -> {
        if (t.getLabel().isEmpty()) {
          throw GraftException.invalidArgument(field + ".label", "EMPTY_LABEL", field + ": label is empty");
        }
        if (t.getLabel().length() > DatasetRecord.MAX_LABEL_CHARS) {
          throw GraftException.invalidArgument(field + ".label", "INVALID_LABEL", field + ": the label is "
              + t.getLabel().length() + " characters long; at most " + DatasetRecord.MAX_LABEL_CHARS);
        }
        yield new Target.Label(t.getLabel());
      }
      case VALUE -> {
        if (!Float.isFinite(t.getValue())) {
          throw nonFinite(field + ".value", t.getValue());
        }
        yield new Target.Value(t.getValue());
      }
      case VALUES -> {
        float[] v = new float[t.getValues().getValuesCount()];
        if (v.length == 0) {
          throw GraftException.invalidArgument(field + ".values", "INVALID_TARGET",
              field + ".values is empty: a forecast target has at least one value");
        }
        for (int i = 0; i < v.length; i++) {
          v[i] = t.getValues().getValues(i);
          if (!Float.isFinite(v[i])) {
            throw nonFinite(field + ".values[" + i + "]", v[i]);
          }
        }
        yield new Target.Values(v);
      }
      case KIND_NOT_SET -> throw GraftException.invalidArgument(field, "MISSING_TARGET",
          field + " is missing: set label, value or values");
    };
  }

  private static GraftException nonFinite(String field, double value) {
    return GraftException.invalidArgument(field, "NON_FINITE_VALUE", field + " is " + value + "; numbers must be finite");
  }
}
