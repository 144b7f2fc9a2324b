package dev.graft.plugins.nlp;

import dev.graft.spi.BuiltinModel;
import java.io.FileNotFoundException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;

/**
 * The built-in {@code minilm-l6} model: sentence-transformers/all-MiniLM-L6-v2 as fp32 ONNX,
 * whose files the build unpacks into this plugin's classpath resources.
 *
 * <p>Stateless; the openers it hands out are safe from any thread and each returns a fresh
 * stream the caller closes.
 */
final class MiniLmL6 {

  static final String NAME = "minilm-l6";
  static final String RESOURCE_DIR = "/dev/graft/plugins/nlp/builtin/minilm-l6/";
  static final String ONNX_RESOURCE = RESOURCE_DIR + "all-minilm-l6-v2.onnx";
  static final String TOKENIZER_RESOURCE = RESOURCE_DIR + "all-minilm-l6-v2-tokenizer.json";
  static final int MAX_TOKENS = 256;

  private MiniLmL6() {}

  /** The built-in model description; files are read lazily from the classpath. */
  static BuiltinModel builtin() {
    return new BuiltinModel(
        NAME,
        NlpDomain.FORMAT_ONNX,
        "OnnxRuntime",
        List.of(
            new BuiltinModel.File(OnnxTextEncoder.MODEL_FILE, () -> open(ONNX_RESOURCE)),
            new BuiltinModel.File(OnnxTextEncoder.TOKENIZER_FILE, () -> open(TOKENIZER_RESOURCE))),
        Map.of(
            EncoderSettings.POOLING, "mean",
            EncoderSettings.HIDDEN_SIZE, "384",
            EncoderSettings.LAYERS, "6",
            EncoderSettings.MAX_TOKENS, Integer.toString(MAX_TOKENS),
            "source", "sentence-transformers/all-MiniLM-L6-v2 (ONNX, fp32)"),
        MAX_TOKENS);
  }

  private static InputStream open(String resource) throws FileNotFoundException {
    InputStream in = MiniLmL6.class.getResourceAsStream(resource);
    if (in == null) {
      throw new FileNotFoundException(
          "built-in model resource " + resource + " is missing from graft-domain-nlp");
    }
    return in;
  }
}
