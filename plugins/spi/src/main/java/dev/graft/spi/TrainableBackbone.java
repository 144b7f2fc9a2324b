package dev.graft.spi;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.Map;

/**
 * A backbone as a trainable DJL block: a batch of inputs in, one pooled feature vector per input
 * out, with its parameters grouped bottom → top so that a strategy can freeze, unfreeze and give
 * learning rates by group. Opened with {@link Backbone#openTrainable}; since SPI 1.1.
 *
 * <p>The block's input is what {@link #inputs} builds; its output is an {@link NDList} whose
 * first array holds the pooled features {@code [batch, dimension()]} (float32). All parameters are
 * initialised (with the pretrained weights) and owned by {@link #manager()}; the block has no
 * parameters outside {@link #groups()}. Parameters start unfrozen.
 *
 * <p>Thread-safety: not thread-safe while it trains — one job's training thread uses it. Forward
 * passes in inference mode ({@code training = false}) that change no parameter may run
 * concurrently, each in its own NDManager scope. Ownership: whoever opened it closes it once;
 * that frees its parameters and everything still attached to {@link #manager()}. Arrays created
 * by {@link #inputs} belong to the manager passed in.
 */
public interface TrainableBackbone extends AutoCloseable {

  /** The network. Its parameters are the ones in {@link #groups()}. */
  Block block();

  /** The manager that owns the parameters; per-batch scopes are its sub-managers. */
  NDManager manager();

  /** The width of the pooled features the block returns. */
  int dimension();

  /**
   * The parameter groups, bottom (nearest the input) first, together covering every parameter of
   * {@link #block()} exactly once.
   */
  List<ParameterGroup> groups();

  /**
   * The block's input for a batch, created in {@code manager} (the caller's per-batch scope).
   *
   * @throws GraftException INVALID_ARGUMENT naming {@code inputs[i]} for an input it cannot read
   */
  NDList inputs(NDManager manager, List<ModelInput> inputs);

  /**
   * The block's input for a batch that is trained on ({@code training = true}) or only evaluated
   * or predicted ({@code false}). A backbone that augments its inputs (random crops, flips …)
   * does so for training batches only, so that validation scores and predictions see the data as
   * it is. The default ignores the flag and calls {@link #inputs(NDManager, List)}. Since SPI 1.2.
   *
   * @throws GraftException INVALID_ARGUMENT naming {@code inputs[i]} for an input it cannot read
   */
  default NDList inputs(NDManager manager, List<ModelInput> inputs, boolean training) {
    return inputs(manager, inputs);
  }

  /**
   * The resolved options of this backbone (layer, pooling and the domain's own), to store with a
   * trained model and pass to {@link Backbone#openTrainable} when it is loaded again.
   */
  Map<String, String> options();

  /** Writes every parameter's current value to {@code out} (the caller closes it). */
  void saveParameters(OutputStream out) throws IOException;

  /**
   * Replaces every parameter's value with what {@link #saveParameters} wrote.
   *
   * @throws GraftException FAILED_PRECONDITION when the stream does not fit this block
   */
  void loadParameters(InputStream in) throws IOException;

  /** Frees the parameters. Called once, by the owner. */
  @Override
  void close();
}
