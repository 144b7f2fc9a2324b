package dev.graft.spi;

/** What a model should output for one input. Immutable. */
public sealed interface Target {

  /** A class label (classification). */
  record Label(String label) implements Target {}

  /** A scalar (regression). */
  record Value(float value) implements Target {}

  /** A vector, e.g. a forecast horizon. */
  record Values(float[] values) implements Target {}
}
