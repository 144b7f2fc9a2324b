package dev.graft.plugins.nlp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import dev.graft.plugins.nlp.bert.BertBlock;
import dev.graft.plugins.nlp.bert.BertConfig;
import dev.graft.plugins.nlp.bert.BertWeights;
import dev.graft.plugins.nlp.bert.OnnxBertConverter;
import dev.graft.plugins.nlp.onnx.OnnxReader;
import dev.graft.spi.BaseModel;
import dev.graft.spi.ModelInput;
import dev.graft.spi.ParameterGroup;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The DJL (PyTorch) block rebuilt from each built-in ONNX file agrees with ONNX Runtime on the
 * hidden states of a set of sentences and sentence pairs (every unpadded token, every unit).
 */
class BertParityTest {
  private static final List<ModelInput.Text> SENTENCES = List.of(
      new ModelInput.Text("The food was great and the staff were lovely."),
      new ModelInput.Text("Worst phone I have ever owned: it broke after two days."),
      new ModelInput.Text("ok"),
      new ModelInput.Text("Is this sentence a paraphrase?", "Is this a paraphrase of the sentence?"),
      new ModelInput.Text("Graft rebuilds BERT encoders as DJL blocks with the ONNX weights, "
          + "transposing every dense matrix it finds through its MatMul node."));

  @TempDir Path dir;

  @ParameterizedTest
  @CsvSource({"minilm-l6, 6, 12", "bge-small-en, 12, 12"})
  void rebuiltBlockMatchesOnnxRuntime(String name, int layers, int heads) throws Exception {
    BaseModel base = BuiltinFixture.materialize(name, dir.resolve(name), Map.of());
    try (OnnxTextEncoder encoder = OnnxTextEncoder.open(base, Device.cpu())) {
      BertWeights weights = OnnxBertConverter.convert(
          OnnxReader.read(base.directory().resolve(OnnxTextEncoder.MODEL_FILE)), 0);
      BertConfig config = weights.config();
      assertEquals(layers, config.layers());
      assertEquals(heads, config.heads());
      assertEquals(384, config.hidden());
      assertEquals(1e-12f, config.layerNormEps(), 1e-15f);

      var tokenizer = Tokenizers.open(base.directory().resolve(OnnxTextEncoder.TOKENIZER_FILE),
          128, Truncation.LONGEST_FIRST);
      TokenBatch batch = TokenBatch.encode(tokenizer, SENTENCES);
      tokenizer.close();
      float[] expected = encoder.lastHiddenState(batch);
      float[] actual;
      try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
        BertBlock block = new BertBlock(config, config.layers(), null);
        block.initialize(manager, weights);
        List<ParameterGroup> groups = block.groups();
        assertEquals(layers + 1, groups.size());
        assertEquals("embeddings", groups.get(0).name());
        assertEquals("encoder." + (layers - 1), groups.get(layers).name());
        actual = block.forward(new ParameterStore(manager, false),
            BertRebuild.inputs(manager, batch), false).singletonOrThrow().toFloatArray();
      }
      assertEquals(expected.length, actual.length);
      double max = 0;
      int compared = 0;
      int h = config.hidden();
      for (int t = 0; t < batch.size() * batch.length(); t++) {
        if (batch.mask()[t] == 0) {
          continue;
        }
        for (int k = 0; k < h; k++) {
          max = Math.max(max, Math.abs(expected[t * h + k] - actual[t * h + k]));
          compared++;
        }
      }
      System.out.printf("%s: max |DJL - ONNX Runtime| over %d hidden values = %.3g%n",
          name, compared, max);
      assertTrue(compared > 40 * h, "compared " + compared);
      assertTrue(max <= 1e-4, name + ": max abs difference " + max);
    }
  }
}
