package dev.graft.plugins.nlp;

import dev.graft.spi.ErrorKind;
import dev.graft.spi.GraftException;
import java.util.ArrayList;
import java.util.List;

/**
 * The feature layers of a text encoder, named {@code encoder.N}. The ONNX graph yields the last
 * layer ({@code encoder.{L-1}}, alias {@code last_hidden_state}); when the graph is BERT-shaped
 * the earlier layers are available too (computed by the rebuilt DJL block). When the number of
 * layers is unknown the only name is {@code last_hidden_state}. Immutable.
 */
final class EncoderLayers {

  static final String LAST_HIDDEN_STATE = "last_hidden_state";
  /** {@link #check} answer for the last layer, which ONNX Runtime computes. */
  static final int LAST = -1;
  private static final String PREFIX = "encoder.";

  private final int layerCount;
  private final boolean intermediate;
  private final List<String> names;
  private final String unavailable;

  /**
   * @param layerCount number of transformer layers, or 0 when unknown
   * @param intermediate whether layers before the last can be computed
   */
  EncoderLayers(int layerCount, boolean intermediate) {
    this(layerCount, intermediate, null);
  }

  /**
   * @param layerCount number of transformer layers, or 0 when unknown
   * @param intermediate whether layers before the last can be computed
   * @param unavailable why they cannot (the graph's rebuild problem), or null
   */
  EncoderLayers(int layerCount, boolean intermediate, String unavailable) {
    this.unavailable = unavailable;
    this.layerCount = layerCount;
    this.intermediate = intermediate && layerCount > 1;
    List<String> all = new ArrayList<>();
    all.add(layerCount > 0 ? name(layerCount - 1) : LAST_HIDDEN_STATE);
    if (this.intermediate) {
      for (int i = 0; i < layerCount - 1; i++) {
        all.add(name(i));
      }
    }
    this.names = List.copyOf(all);
  }

  static String name(int index) {
    return PREFIX + index;
  }

  /** The layers a client may ask for, the default (last) first. */
  List<String> names() {
    return names;
  }

  /** The number of layers, or 0 when unknown. */
  int count() {
    return layerCount;
  }

  /** The index a name means ("" and last_hidden_state: the last layer), or -1 if none. */
  int index(String layer) {
    if (layer.isEmpty() || layer.equals(LAST_HIDDEN_STATE)) {
      return layerCount - 1;
    }
    int index = encoderIndex(layer);
    return index >= 0 && index < layerCount ? index : -1;
  }

  /**
   * Checks a requested layer ("" = default): {@link #LAST} for the last layer, else the index of
   * an earlier one.
   *
   * @throws GraftException UNIMPLEMENTED (INTERMEDIATE_LAYER_UNAVAILABLE) for an earlier layer of
   *     a graph that is not BERT-shaped; INVALID_ARGUMENT (UNKNOWN_LAYER, field "layer") for
   *     anything else
   */
  int check(String layer) {
    if (layer.isEmpty() || layer.equals(LAST_HIDDEN_STATE) || layer.equals(names.get(0))) {
      return LAST;
    }
    int index = encoderIndex(layer);
    if (index >= 0 && (layerCount == 0 || index < layerCount - 1)) {
      if (intermediate) {
        return index;
      }
      throw new GraftException(
          ErrorKind.UNIMPLEMENTED,
          "INTERMEDIATE_LAYER_UNAVAILABLE",
          "layer",
          "layer '" + layer + "' is not exposed by this ONNX encoder, which only yields "
              + names.get(0) + ", and its graph is not BERT-shaped, so it cannot be rebuilt"
              + (unavailable == null || unavailable.isEmpty() ? "" : ": " + unavailable),
          null);
    }
    throw GraftException.invalidArgument(
        "layer",
        "UNKNOWN_LAYER",
        "unknown layer '" + layer + "'; valid layers: " + String.join(", ", validNames()));
  }

  private List<String> validNames() {
    List<String> valid = new ArrayList<>(names);
    if (!valid.contains(LAST_HIDDEN_STATE)) {
      valid.add(LAST_HIDDEN_STATE);
    }
    return valid;
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
