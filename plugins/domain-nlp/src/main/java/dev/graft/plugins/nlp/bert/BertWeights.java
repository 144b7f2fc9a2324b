package dev.graft.plugins.nlp.bert;

import java.util.Map;

/**
 * Pretrained weights of a BERT-family encoder under Hugging Face names
 * ({@code encoder.layer.3.attention.self.query.weight}), dense matrices in PyTorch's
 * {@code [out, in]} layout. Immutable by convention (arrays are shared, never written).
 *
 * @param config the encoder's shape
 * @param tensors values by name, row-major
 */
public record BertWeights(BertConfig config, Map<String, float[]> tensors) {
  public BertWeights {
    tensors = Map.copyOf(tensors);
  }

  /**
   * The tensor {@code name}.
   *
   * @throws IllegalStateException when it is missing
   */
  public float[] get(String name) {
    float[] t = tensors.get(name);
    if (t == null) {
      throw new IllegalStateException("no weight '" + name + "'");
    }
    return t;
  }
}
