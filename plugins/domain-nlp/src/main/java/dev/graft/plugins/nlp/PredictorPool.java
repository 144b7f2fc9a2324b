package dev.graft.plugins.nlp;

import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDList;
import ai.djl.translate.TranslateException;
import dev.graft.spi.ErrorKind;
import dev.graft.spi.GraftException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.function.Supplier;

/**
 * A fixed set of DJL predictors shared by threads: a caller borrows one for one engine call, so
 * at most {@code size} calls run at once and no predictor is used by two threads.
 *
 * <p>Thread-safety: {@link #predict} is safe from any thread. Ownership: the pool owns its
 * predictors; {@link #close} closes them and must only be called once no call is in flight (the
 * owning backbone guarantees this).
 */
final class PredictorPool implements AutoCloseable {

  private final BlockingQueue<Predictor<NDList, NDList>> idle;
  private final List<Predictor<NDList, NDList>> all;

  PredictorPool(int size, Supplier<Predictor<NDList, NDList>> factory) {
    this.idle = new ArrayBlockingQueue<>(size);
    this.all = new ArrayList<>(size);
    for (int i = 0; i < size; i++) {
      Predictor<NDList, NDList> predictor = factory.get();
      all.add(predictor);
      idle.add(predictor);
    }
  }

  /**
   * Runs one forward pass, waiting for a free predictor.
   *
   * @throws GraftException CANCELLED when interrupted while waiting; INTERNAL when the engine fails
   */
  NDList predict(NDList input) {
    Predictor<NDList, NDList> predictor;
    try {
      predictor = idle.take();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new GraftException(
          ErrorKind.CANCELLED, "INTERRUPTED", "", "interrupted waiting for the encoder", e);
    }
    try {
      return predictor.predict(input);
    } catch (TranslateException | RuntimeException e) {
      throw GraftException.internal("ENGINE_FAILURE", "the ONNX text encoder failed: " + e, e);
    } finally {
      idle.add(predictor);
    }
  }

  @Override
  public void close() {
    for (Predictor<NDList, NDList> predictor : all) {
      predictor.close();
    }
    idle.clear();
  }
}
