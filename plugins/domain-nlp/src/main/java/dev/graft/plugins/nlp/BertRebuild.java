package dev.graft.plugins.nlp;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import dev.graft.plugins.nlp.bert.BertBlock;
import dev.graft.plugins.nlp.bert.BertConfig;
import dev.graft.plugins.nlp.bert.BertWeights;
import dev.graft.plugins.nlp.bert.NotBertShapedException;
import dev.graft.plugins.nlp.bert.OnnxBertConverter;
import dev.graft.plugins.nlp.onnx.OnnxReader;
import dev.graft.spi.BaseModel;
import dev.graft.spi.GraftException;
import dev.graft.spi.ParameterGroup;
import java.io.IOException;
import java.nio.file.Path;
import java.util.function.Function;

/**
 * The DJL side of a text encoder whose ONNX graph is BERT-shaped: reads the graph's shape at open,
 * rebuilds the encoder as a {@link BertBlock} on the PyTorch engine with the ONNX weights when
 * asked, checks once that the block reproduces ONNX Runtime's hidden states, and computes the
 * states of intermediate layers for Extract.
 *
 * <p>Thread-safety: all methods may be called from any thread; the verdict and the inference
 * block are built once under a lock. Ownership: the encoder owns it and closes it, which frees
 * the inference block; trainable copies belong to whoever opened them.
 */
final class BertRebuild implements AutoCloseable {
  /** The DJL engine the rebuilt blocks run on. */
  static final String ENGINE = "PyTorch";
  /** Largest difference to ONNX Runtime accepted when a rebuilt block is checked. */
  static final double TOLERANCE = 1e-3;

  private final String name;
  private final Path onnx;
  private final int heads;
  private final BertConfig config;
  private final String problem;
  private String verdict;
  private NDManager inferenceManager;
  private BertBlock inference;

  private BertRebuild(String name, Path onnx, int heads, BertConfig config, String problem) {
    this.name = name;
    this.onnx = onnx;
    this.heads = heads;
    this.config = config;
    this.problem = problem;
  }

  /** Reads the shape of {@code base}'s graph (no weights are copied). */
  static BertRebuild inspect(BaseModel base, Path onnx, EncoderSettings settings) {
    try {
      BertConfig config = OnnxBertConverter.inspect(OnnxReader.read(onnx), settings.attentionHeads());
      return new BertRebuild(base.name(), onnx, settings.attentionHeads(), config, null);
    } catch (NotBertShapedException | IOException | RuntimeException e) {
      return new BertRebuild(base.name(), onnx, settings.attentionHeads(), null, e.getMessage());
    }
  }

  /** Why the graph is not BERT-shaped, or null when it is. */
  String problem() {
    return problem;
  }

  /** The encoder's shape, or null when its graph is not BERT-shaped. */
  BertConfig config() {
    return config;
  }

  /**
   * The pretrained weights, checked against ONNX Runtime on {@code probe} the first time.
   *
   * @param reference the ONNX encoder's last hidden states [1, tokens, hidden] for the probe
   * @throws GraftException FAILED_PRECONDITION NOT_BERT_SHAPED saying why the graph cannot be
   *     rebuilt; ENGINE_UNAVAILABLE without the PyTorch engine
   */
  BertWeights weights(TokenBatch probe, Function<TokenBatch, float[]> reference) {
    requireShape();
    BertWeights weights;
    try {
      weights = OnnxBertConverter.convert(OnnxReader.read(onnx), heads);
    } catch (NotBertShapedException | IOException e) {
      throw notBertShaped(e.getMessage());
    }
    synchronized (this) {
      if (verdict == null) {
        verdict = verify(weights, probe, reference.apply(probe));
      }
      if (!verdict.isEmpty()) {
        throw notBertShaped(verdict);
      }
    }
    return weights;
  }

  /**
   * The hidden states after {@code count} layers for a batch, row-major [size, length, hidden],
   * computed by an inference-only block built on first use on {@code device}.
   */
  float[] hiddenStates(TokenBatch batch, int count, Device device,
      Function<TokenBatch, float[]> reference) {
    BertBlock block;
    NDManager manager;
    synchronized (this) {
      if (inference == null) {
        BertWeights weights = weights(batch, reference);
        manager = NDManager.newBaseManager(device, engine().getEngineName());
        BertBlock built = new BertBlock(weights.config(), weights.config().layers(), null);
        try {
          built.initialize(manager, weights);
        } catch (RuntimeException e) {
          manager.close();
          throw e;
        }
        for (ParameterGroup g : built.groups()) {
          g.freeze(true);
        }
        inferenceManager = manager;
        inference = built;
      }
      block = inference;
      manager = inferenceManager;
    }
    try (NDManager scope = manager.newSubManager()) {
      NDList in = inputs(scope, batch);
      return block.hiddenStates(new ParameterStore(scope, false), in, count, false).toFloatArray();
    }
  }

  /** The block's three int64 inputs for a token batch. */
  static NDList inputs(NDManager manager, TokenBatch batch) {
    Shape shape = new Shape(batch.size(), batch.length());
    return new NDList(
        manager.create(batch.ids(), shape),
        manager.create(batch.typeIds(), shape),
        manager.create(batch.mask(), shape));
  }

  private String verify(BertWeights weights, TokenBatch probe, float[] expected) {
    try (NDManager manager = NDManager.newBaseManager(Device.cpu(), engine().getEngineName())) {
      BertBlock block = new BertBlock(weights.config(), weights.config().layers(), null);
      block.initialize(manager, weights);
      for (ParameterGroup g : block.groups()) {
        g.freeze(true);
      }
      float[] actual = block.forward(new ParameterStore(manager, false), inputs(manager, probe),
          false).singletonOrThrow().toFloatArray();
      if (actual.length != expected.length) {
        return "the rebuilt block's output has " + actual.length + " values, ONNX Runtime's "
            + expected.length;
      }
      double max = 0;
      for (int i = 0; i < actual.length; i++) {
        max = Math.max(max, Math.abs(actual[i] - expected[i]));
      }
      return max <= TOLERANCE ? "" : String.format(java.util.Locale.ROOT,
          "the graph looks BERT-shaped but the rebuilt block differs from ONNX Runtime by %.2g"
              + " (another position or attention scheme?)", max);
    }
  }

  private void requireShape() {
    if (config == null) {
      throw notBertShaped(problem);
    }
  }

  private GraftException notBertShaped(String why) {
    return GraftException.failedPrecondition("NOT_BERT_SHAPED", "model '" + name + "' cannot be"
        + " rebuilt as a trainable BERT block: " + why + ". It still serves Extract and"
        + " feature-extraction; knowledge-transfer and fine-tuning need a BERT-family encoder"
        + " with a floating-point graph");
  }

  static Engine engine() {
    try {
      return Engine.getEngine(ENGINE);
    } catch (RuntimeException e) {
      throw GraftException.failedPrecondition("ENGINE_UNAVAILABLE",
          "the " + ENGINE + " engine, which trains text encoders, is not available: "
              + e.getMessage());
    }
  }

  @Override
  public synchronized void close() {
    if (inferenceManager != null) {
      inferenceManager.close();
      inferenceManager = null;
      inference = null;
    }
  }
}
