package dev.graft.spi;

import ai.djl.Device;
import java.util.List;
import java.util.Set;

/**
 * A family of inputs (text, images, series): how to read them and which networks turn them
 * into features.
 *
 * <p>Thread-safety: all methods may be called from any thread. Lifecycle: one instance per
 * server, created at start through {@link java.util.ServiceLoader}.
 */
public interface DomainPlugin extends Plugin {

  /** The input kinds this domain accepts. */
  Set<InputKind> inputKinds();

  /** Base models this domain ships with; registered in the store at first start. */
  default List<BuiltinModel> builtinModels() {
    return List.of();
  }

  /**
   * The import formats of this domain whose files carry code that runs when the model is loaded
   * (TorchScript is a program, not data). The server refuses to import them unless its operator
   * set {@code allow-code-imports=true} and the caller is an admin. A format that is only data
   * (weights read by an allow-listed reader, ONNX, TF.js layers) does not belong here.
   *
   * @since SPI 1.3
   */
  default Set<String> codeFormats() {
    return Set.of();
  }

  /**
   * Opens a stored base model on {@code device}. The caller owns the result and closes it.
   *
   * @throws GraftException UNIMPLEMENTED for a format this domain cannot open
   */
  Backbone openBackbone(BaseModel model, Device device);

  /**
   * Checks one input before it reaches a backbone, so that bad input is refused with the field
   * that holds it. {@code field} is the input's name in the request ("inputs[3]").
   *
   * @throws GraftException INVALID_ARGUMENT naming {@code field}
   */
  default void validate(ModelInput input, String field) {
    if (!inputKinds().contains(input.kind())) {
      throw GraftException.invalidArgument(
          field,
          "UNSUPPORTED_INPUT_KIND",
          field + " is " + input.kind() + " but domain '" + id() + "' accepts " + inputKinds());
    }
  }
}
