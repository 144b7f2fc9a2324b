package dev.graft.plugins.nlp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import dev.graft.spi.Backbone;
import dev.graft.spi.FeatureRequest;
import dev.graft.spi.ModelInput;
import dev.graft.spi.Pooling;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Our MiniLM embeddings against langchain4j's own implementation of the same model. */
class MiniLmReferenceTest {

  private static final List<String> SENTENCES = List.of(
      "The quick brown fox jumps over the lazy dog.",
      "A man is playing a guitar on stage.",
      "Transfer learning reuses a pretrained network for a new task.",
      "¿Dónde está la biblioteca?",
      "I absolutely loved this restaurant, the food was amazing!!!",
      "Worst purchase ever. Broke after two days :(",
      "GPU memory: 139 GiB; batch size 32; lr=3e-4.",
      "Hello",
      "user@example.com visited https://graft.dev/docs on 2024-05-01",
      "Unbelievably, the tokenizer splits unaffordable words into word-pieces.",
      "東京は日本の首都です。");

  @TempDir
  static Path dir;

  @Test
  void meanPooledNormalisedEmbeddingsMatchLangchain4j() throws Exception {
    AllMiniLmL6V2EmbeddingModel reference = new AllMiniLmL6V2EmbeddingModel();
    try (Backbone ours = new NlpDomain().openBackbone(
        BuiltinFixture.materialize(dir.resolve("minilm")), Device.cpu())) {
      List<ModelInput> inputs = SENTENCES.stream().<ModelInput>map(ModelInput.Text::new).toList();
      float[][] vectors = ours.extract(inputs, new FeatureRequest("", Pooling.MEAN, true));
      assertEquals(SENTENCES.size(), vectors.length);
      for (int i = 0; i < SENTENCES.size(); i++) {
        float[] expected = reference.embed(SENTENCES.get(i)).content().vector();
        assertEquals(384, vectors[i].length);
        double cosine = BuiltinFixture.cosine(expected, vectors[i]);
        assertTrue(cosine >= 0.9999, "sentence " + i + " cosine " + cosine);
        assertEquals(1.0, BuiltinFixture.norm(vectors[i]), 1e-5);
      }
    }
  }
}
