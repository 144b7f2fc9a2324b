package dev.graft.spi;

/** How token or patch features are reduced to one vector. DEFAULT = the backbone's own choice. */
public enum Pooling {
  DEFAULT,
  MEAN,
  CLS,
  MAX
}
