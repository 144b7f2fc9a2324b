package com.example.graft;

import dev.graft.spi.Backbone;
import dev.graft.spi.FeatureRequest;
import dev.graft.spi.GraftException;
import dev.graft.spi.ModelInput;
import java.util.List;

/**
 * A stand-in backbone for tests: a text's features are its counts of the letters a to z. Stateless,
 * so thread-safe; nothing to close.
 */
final class LetterBackbone implements Backbone {

  @Override public List<String> layers() { return List.of("letters"); }

  @Override public int dimension() { return 26; }

  @Override public float[][] extract(List<ModelInput> inputs, FeatureRequest request) {
    if (!request.layer().isEmpty() && !layers().contains(request.layer())) {
      throw GraftException.invalidArgument("layer", "UNKNOWN_LAYER", "no layer '" + request.layer() + "'");
    }
    float[][] out = new float[inputs.size()][26];
    for (int i = 0; i < out.length; i++) {
      if (!(inputs.get(i) instanceof ModelInput.Text text)) {
        throw GraftException.invalidArgument("inputs[" + i + "]", "NOT_TEXT", "inputs[" + i + "] is not text");
      }
      double norm = 0;
      for (char c : text.text().toCharArray()) {
        if (c >= 'a' && c <= 'z') {
          out[i][c - 'a']++;
        }
      }
      for (float v : out[i]) norm += v * v;
      if (request.normalize() && norm > 0) {
        for (int j = 0; j < 26; j++) out[i][j] /= (float) Math.sqrt(norm);
      }
    }
    return out;
  }

  @Override public void close() {}
}
