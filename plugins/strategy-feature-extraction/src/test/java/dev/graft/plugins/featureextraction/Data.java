package dev.graft.plugins.featureextraction;

import dev.graft.spi.Example;
import dev.graft.spi.Hyperparameters;
import dev.graft.spi.ModelInput;
import dev.graft.spi.Target;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/** Example sets for {@link ClusterBackbone}. */
final class Data {
  private Data() {}

  static final List<String> LABELS = List.of("ant", "bee", "cat");

  /** {@code perClass} examples of each of the 3 labels; {@code tag} keeps splits distinct. */
  static List<Example> clusters(int perClass, String tag) {
    List<Example> out = new ArrayList<>();
    for (int i = 0; i < perClass; i++) {
      for (int k = 0; k < LABELS.size(); k++) {
        ModelInput input = new ModelInput.Text("c" + k + " " + tag + i);
        out.add(new Example(input, new Target.Label(LABELS.get(k))));
      }
    }
    return out;
  }

  /** Inputs from the 3 clusters with labels drawn at random: nothing to learn. */
  static List<Example> randomLabels(int n, String tag, long seed) {
    Random r = new Random(seed);
    List<Example> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String text = "c" + r.nextInt(3) + " " + tag + i;
      out.add(new Example(new ModelInput.Text(text), new Target.Label(LABELS.get(r.nextInt(3)))));
    }
    return out;
  }

  /** y = 3x + 10 with x uniform in [-2, 2]; the backbone puts x along a direction. */
  static List<Example> line(int n, String tag, long seed) {
    Random r = new Random(seed);
    List<Example> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      float x = (float) (r.nextDouble() * 4 - 2);
      String text = String.format(Locale.ROOT, "v%.5f %s%d", x, tag, i);
      out.add(new Example(new ModelInput.Text(text), new Target.Value(3 * x + 10)));
    }
    return out;
  }

  static List<ModelInput> inputs(List<Example> examples) {
    return examples.stream().map(Example::input).toList();
  }

  static Hyperparameters hp(int epochs, int patience, long seed, Map<String, String> extra) {
    return new Hyperparameters(epochs, 0, 0f, 0f, patience, seed, extra);
  }
}
