package dev.graft.plugins.nlp;

import dev.graft.spi.BaseModel;
import dev.graft.spi.BuiltinModel;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** Copies the built-in MiniLM files from the plugin's classpath into a folder, as the server does. */
final class BuiltinFixture {

  private BuiltinFixture() {}

  static BaseModel materialize(Path dir) throws IOException {
    return materialize(dir, Map.of());
  }

  /** The built-in model stored in {@code dir}, with {@code overrides} applied to its properties. */
  static BaseModel materialize(Path dir, Map<String, String> overrides) throws IOException {
    return materialize(BuiltinEncoders.MINILM, dir, overrides);
  }

  /** The built-in model {@code name} stored in {@code dir}, with {@code overrides} applied. */
  static BaseModel materialize(String name, Path dir, Map<String, String> overrides)
      throws IOException {
    BuiltinModel builtin = new NlpDomain().builtinModels().stream()
        .filter(b -> b.name().equals(name)).findFirst().orElseThrow();
    Files.createDirectories(dir);
    for (BuiltinModel.File file : builtin.files()) {
      try (InputStream in = file.opener().open()) {
        Files.copy(in, dir.resolve(file.name()));
      }
    }
    Map<String, String> properties = new HashMap<>(builtin.properties());
    properties.putAll(overrides);
    return new BaseModel(builtin.name() + "@1", dir, builtin.format(), properties);
  }

  static double cosine(float[] a, float[] b) {
    double dot = 0;
    double na = 0;
    double nb = 0;
    for (int i = 0; i < a.length; i++) {
      dot += (double) a[i] * b[i];
      na += (double) a[i] * a[i];
      nb += (double) b[i] * b[i];
    }
    return dot / Math.sqrt(na * nb);
  }

  static double norm(float[] a) {
    double s = 0;
    for (float v : a) {
      s += (double) v * v;
    }
    return Math.sqrt(s);
  }
}
