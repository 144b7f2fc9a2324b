package dev.graft.spi;

/** The kinds of {@link ModelInput} a domain can accept. */
public enum InputKind {
  TEXT,
  IMAGE,
  SERIES,
  TENSOR
}
