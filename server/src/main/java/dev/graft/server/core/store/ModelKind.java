package dev.graft.server.core.store;

/** Whether a stored model was imported (BASE) or trained by a job (TRAINED). */
public enum ModelKind {
  BASE,
  TRAINED
}
