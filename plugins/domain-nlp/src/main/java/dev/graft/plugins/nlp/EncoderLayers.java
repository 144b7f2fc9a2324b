package dev.graft.plugins.nlp;

import dev.graft.spi.ErrorKind;
import dev.graft.spi.GraftException;
import java.util.List;

/**
 * The feature layers of an ONNX text encoder. The ONNX graph only exposes its last hidden state,
 * named {@code encoder.{L-1}} when the number of layers {@code L} is known, with the alias
 * {@code last_hidden_state}. Immutable.
 */
final class EncoderLayers {

  static final String LAST_HIDDEN_STATE = "last_hidden_state";
  private static final String PREFIX = "encoder.";

  private final int layerCount;
  private final List<String> names;

  /** @param layerCount number of transformer layers, or 0 when unknown */
  EncoderLayers(int layerCount) {
    this.layerCount = layerCount;
    this.names = List.of(layerCount > 0 ? PREFIX + (layerCount - 1) : LAST_HIDDEN_STATE);
  }

  /** The layers a client may ask for, the default first. */
  List<String> names() {
    return names;
  }

  /**
   * Checks a requested layer ("" = default). Every accepted name means the last hidden state.
   *
   * @throws GraftException UNIMPLEMENTED (INTERMEDIATE_LAYER_UNAVAILABLE) for an earlier encoder
   *     layer; INVALID_ARGUMENT (UNKNOWN_LAYER, field "layer") for anything else
   */
  void check(String layer) {
    if (layer.isEmpty() || layer.equals(LAST_HIDDEN_STATE) || names.contains(layer)) {
      return;
    }
    int index = encoderIndex(layer);
    if (index >= 0 && (layerCount == 0 || index < layerCount - 1)) {
      throw new GraftException(
          ErrorKind.UNIMPLEMENTED,
          "INTERMEDIATE_LAYER_UNAVAILABLE",
          "layer",
          "layer '" + layer + "' is not exposed by the ONNX encoder, which only yields "
              + names.get(0) + "; intermediate layers need the trainable backbone",
          null);
    }
    throw GraftException.invalidArgument(
        "layer",
        "UNKNOWN_LAYER",
        "unknown layer '" + layer + "'; valid layers: " + String.join(", ", validNames()));
  }

  private List<String> validNames() {
    return names.get(0).equals(LAST_HIDDEN_STATE)
        ? names
        : List.of(names.get(0), LAST_HIDDEN_STATE);
  }

  private static int encoderIndex(String layer) {
    if (!layer.startsWith(PREFIX)) {
      return -1;
    }
    String digits = layer.substring(PREFIX.length());
    if (digits.isEmpty() || digits.length() > 4 || !digits.chars().allMatch(Character::isDigit)) {
      return -1;
    }
    return Integer.parseInt(digits);
  }
}
