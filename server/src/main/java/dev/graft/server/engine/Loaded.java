package dev.graft.server.engine;

/**
 * A loaded model held for one use: while any {@code Loaded} of it is open, the model is not
 * unloaded to make room for another. Close it when the call (or the job) is done with the model.
 */
public final class Loaded<T> implements AutoCloseable {
  private final T model;
  private final Runnable release;
  private boolean closed;

  Loaded(T model, Runnable release) {
    this.model = model;
    this.release = release;
  }

  public T get() {
    return model;
  }

  @Override
  public synchronized void close() {
    if (!closed) {
      closed = true;
      release.run();
    }
  }
}
