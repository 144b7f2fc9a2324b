package dev.graft.spi;

import java.util.Objects;

/** One input to a model, already free of any transport type. Immutable; arrays are not copied. */
public sealed interface ModelInput {

  InputKind kind();

  /** Text, with an optional second segment ({@code pair}, empty if none) for sentence-pair tasks. */
  record Text(String text, String pair) implements ModelInput {
    public Text {
      Objects.requireNonNull(text, "text");
      pair = pair == null ? "" : pair;
    }

    public Text(String text) {
      this(text, "");
    }

    @Override
    public InputKind kind() {
      return InputKind.TEXT;
    }
  }

  /** Encoded image bytes (PNG, JPEG, BMP or GIF). */
  record Image(byte[] encoded) implements ModelInput {
    @Override
    public InputKind kind() {
      return InputKind.IMAGE;
    }
  }

  /** A series; with {@code channels > 1} values are interleaved by time step. */
  record Series(float[] values, int channels) implements ModelInput {
    @Override
    public InputKind kind() {
      return InputKind.SERIES;
    }
  }

  /** A dense little-endian row-major tensor; {@code dtype} is a DJL data type name ("uint8", "float32"). */
  record Tensor(String dtype, long[] shape, byte[] data) implements ModelInput {
    @Override
    public InputKind kind() {
      return InputKind.TENSOR;
    }
  }
}
