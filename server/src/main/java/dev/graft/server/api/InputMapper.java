package dev.graft.server.api;

import dev.graft.api.v1.DataType;
import dev.graft.api.v1.Input;
import dev.graft.spi.Example;
import dev.graft.spi.GraftException;
import dev.graft.spi.ModelInput;
import dev.graft.spi.Target;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Turns API inputs and examples into SPI ones, naming the field of anything malformed. */
final class InputMapper {
  private InputMapper() {}

  static List<ModelInput> inputs(List<Input> inputs, String field) {
    List<ModelInput> out = new ArrayList<>(inputs.size());
    for (int i = 0; i < inputs.size(); i++) {
      out.add(input(inputs.get(i), field + "[" + i + "]"));
    }
    return out;
  }

  static ModelInput input(Input in, String field) {
    return switch (in.getValueCase()) {
      case TEXT -> new ModelInput.Text(in.getText().getText(), in.getText().getPair());
      case IMAGE -> new ModelInput.Image(in.getImage().getEncoded().toByteArray());
      case SERIES -> {
        var s = in.getSeries();
        int channels = Math.max(1, s.getChannels());
        if (s.getChannels() < 0 || s.getValuesCount() % channels != 0) {
          throw GraftException.invalidArgument(field + ".series", "INVALID_SERIES", field + ": "
              + s.getValuesCount() + " values do not divide into " + channels + " channels");
        }
        float[] values = new float[s.getValuesCount()];
        for (int i = 0; i < values.length; i++) {
          values[i] = s.getValues(i);
        }
        yield new ModelInput.Series(values, channels);
      }
      case TENSOR -> {
        var t = in.getTensor();
        if (t.getDtype() == DataType.DATA_TYPE_UNSPECIFIED || t.getDtype() == DataType.UNRECOGNIZED) {
          throw GraftException.invalidArgument(field + ".tensor.dtype", "MISSING_DTYPE", field + ": tensor dtype is required");
        }
        long[] shape = t.getShapeList().stream().mapToLong(Long::longValue).toArray();
        yield new ModelInput.Tensor(t.getDtype().name().substring("DATA_TYPE_".length()).toLowerCase(Locale.ROOT),
            shape, t.getData().toByteArray());
      }
      case VALUE_NOT_SET -> throw GraftException.invalidArgument(field, "EMPTY_INPUT",
          field + " is empty: set text, image, series or tensor");
    };
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
        yield new Target.Label(t.getLabel());
      }
      case VALUE -> new Target.Value(t.getValue());
      case VALUES -> {
        float[] v = new float[t.getValues().getValuesCount()];
        for (int i = 0; i < v.length; i++) {
          v[i] = t.getValues().getValues(i);
        }
        yield new Target.Values(v);
      }
      case KIND_NOT_SET -> throw GraftException.invalidArgument(field, "MISSING_TARGET",
          field + " is missing: set label, value or values");
    };
  }
}
