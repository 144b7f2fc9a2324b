package dev.graft.plugins.nlp;

import ai.djl.Device;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import dev.graft.plugins.nlp.bert.BertBlock;
import dev.graft.plugins.nlp.bert.BertWeights;
import dev.graft.spi.GraftException;
import dev.graft.spi.ModelInput;
import dev.graft.spi.ParameterFile;
import dev.graft.spi.ParameterGroup;
import dev.graft.spi.TrainableBackbone;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A BERT-family text encoder as a trainable DJL block on the PyTorch engine: tokenizes texts
 * (and sentence pairs) with the model's tokenizer under the job's {@code max_tokens} and
 * truncation, runs embeddings and encoder layers up to the chosen layer, and pools the states
 * (mean, [CLS] or max under the attention mask).
 *
 * <p>Thread-safety and ownership as {@link TrainableBackbone} says: one training thread; the
 * opener closes it, which frees the parameters (its base manager) and the tokenizer.
 */
final class BertTextBackbone implements TrainableBackbone {
  private static final String MAGIC = "graft-bert-params/1";

  private final BertBlock block;
  private final NDManager manager;
  private final HuggingFaceTokenizer tokenizer;
  private final TextOptions options;
  private final List<ParameterGroup> groups;

  private BertTextBackbone(BertBlock block, NDManager manager, HuggingFaceTokenizer tokenizer,
      TextOptions options) {
    this.block = block;
    this.manager = manager;
    this.tokenizer = tokenizer;
    this.options = options;
    this.groups = block.groups();
  }

  /** Builds the block for {@code options} on {@code device} with {@code weights}. */
  static BertTextBackbone open(Path tokenizerJson, BertWeights weights, TextOptions options,
      Device device) {
    BertRebuild.engine();
    HuggingFaceTokenizer tokenizer;
    try {
      tokenizer = Tokenizers.open(tokenizerJson, options.maxTokens(), options.truncation());
    } catch (IOException | RuntimeException e) {
      throw GraftException.failedPrecondition(
          "MODEL_FILE_MISSING", "cannot read the tokenizer " + tokenizerJson + ": " + e.getMessage());
    }
    NDManager manager = NDManager.newBaseManager(device, BertRebuild.ENGINE);
    try {
      BertBlock block = new BertBlock(weights.config(), options.layer() + 1, options.pooling());
      block.initialize(manager, weights);
      return new BertTextBackbone(block, manager, tokenizer, options);
    } catch (RuntimeException e) {
      manager.close();
      tokenizer.close();
      throw e;
    }
  }

  @Override
  public Block block() {
    return block;
  }

  @Override
  public NDManager manager() {
    return manager;
  }

  @Override
  public int dimension() {
    return block.config().hidden();
  }

  @Override
  public List<ParameterGroup> groups() {
    return groups;
  }

  @Override
  public NDList inputs(NDManager scope, List<ModelInput> inputs) {
    List<ModelInput.Text> texts = new ArrayList<>(inputs.size());
    for (int i = 0; i < inputs.size(); i++) {
      if (!(inputs.get(i) instanceof ModelInput.Text text)) {
        String field = "inputs[" + i + "]";
        throw GraftException.invalidArgument(field, "UNSUPPORTED_INPUT_KIND",
            field + " is " + (inputs.get(i) == null ? "missing" : inputs.get(i).kind())
                + "; a text encoder reads TEXT");
      }
      texts.add(text);
    }
    int limit = options.truncation() == Truncation.NONE ? options.maxTokens() : 0;
    return BertRebuild.inputs(scope, TokenBatch.encode(tokenizer, texts, options.maxTokens(), limit, 0));
  }

  @Override
  public Map<String, String> options() {
    return options.asMap();
  }

  @Override
  public void saveParameters(OutputStream out) throws IOException {
    ParameterFile.write(out, MAGIC, ParameterFile.byGroup(groups));
  }

  @Override
  public void loadParameters(InputStream in) throws IOException {
    ParameterFile.read(in, MAGIC, ParameterFile.byGroup(groups), "encoder");
  }

  @Override
  public void close() {
    try {
      manager.close();
    } finally {
      tokenizer.close();
    }
  }
}
