package dev.graft.plugins.vision;

import dev.graft.spi.BuiltinModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The built-in vision base models, installed from the assets folder that
 * {@code scripts/fetch-assets} fills (third-party weights are not committed or bundled):
 * {@code mobilenet-v2} — nsfwjs@4.4.0's Keras MobileNetV2 (ImageNet-initialised, 2.26M backbone
 * parameters), 224×224 RGB in [0, 1], features from {@code out_relu} (1280) — and
 * {@code mobilenet-v2-96}, the same weights with 96×96 inputs (the network is fully
 * convolutional up to its features), ~5× cheaper, for small images such as 28×28 Fashion-MNIST.
 * When the assets are absent no built-in is offered (import one instead).
 *
 * <p>Stateless; openers return fresh streams the caller closes.
 */
final class BuiltinNetworks {
  static final String MOBILENET = "mobilenet-v2";
  static final String MOBILENET_96 = "mobilenet-v2-96";
  static final String FOLDER = "nsfwjs/mobilenet_v2";
  static final List<String> FILES = List.of("model.json", "group1-shard1of1.min.js");

  private BuiltinNetworks() {}

  /** The built-ins whose files exist under {@code assets}. */
  static List<BuiltinModel> under(Path assets) {
    Path dir = assets.resolve(FOLDER);
    for (String f : FILES) {
      if (!Files.isRegularFile(dir.resolve(f))) {
        return List.of();
      }
    }
    return List.of(mobilenet(dir, MOBILENET, 224), mobilenet(dir, MOBILENET_96, 96));
  }

  private static BuiltinModel mobilenet(Path dir, String name, int size) {
    List<BuiltinModel.File> files = FILES.stream()
        .map(f -> new BuiltinModel.File(f, () -> Files.newInputStream(dir.resolve(f))))
        .toList();
    return new BuiltinModel(name, VisionDomain.FORMAT_TFJS, KerasTrainable.ENGINE, files,
        Map.of(
            "hidden_size", "1280",
            "feature_layer", "out_relu",
            "input_size", Integer.toString(size),
            "input_scale", Float.toString(1f / 255),
            "source", "npm nsfwjs@4.4.0 dist/models/mobilenet_v2 (Keras MobileNetV2, MIT),"
                + " converted to a DJL block"),
        0);
  }
}
