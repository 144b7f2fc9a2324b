package dev.graft.plugins.featureextraction;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import dev.graft.spi.GraftException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Moves a head's weights between a live block, an in-memory snapshot and the model directory
 * ({@code head-0000.params}, DJL's model format). Stateless and thread-safe; every model it
 * opens is either closed before returning or handed to the caller, who closes it.
 */
final class HeadWeights {
  /** The prefix of the saved parameter file ({@code head-0000.params}). */
  static final String PREFIX = "head";

  private HeadWeights() {}

  /** A copy of the block's current weights in DJL's block parameter encoding. */
  static byte[] snapshot(Block block) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      block.saveParameters(out);
    } catch (IOException e) {
      throw GraftException.internal("HEAD_TRAINING_FAILED", "cannot copy the head's weights", e);
    }
    return bytes.toByteArray();
  }

  /** Writes weights from {@link #snapshot} into {@code directory} as a DJL model. */
  static void save(HeadArchitecture architecture, byte[] weights, Device device, Path directory) {
    try (Model model = newModel("feature-extraction-head", architecture, device)) {
      // Initialised first so that the block knows its input names (model.save describes them);
      // the loaded weights then replace the initial ones.
      model.getBlock().initialize(
          model.getNDManager(), DataType.FLOAT32, new Shape(1, architecture.inputs()));
      try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(weights))) {
        model.getBlock().loadParameters(model.getNDManager(), in);
      }
      model.setProperty("Epoch", "0");
      model.save(directory, PREFIX);
    } catch (IOException | MalformedModelException e) {
      throw GraftException.internal(
          "HEAD_SAVE_FAILED", "cannot save the head: " + e.getMessage(), e);
    }
  }

  /**
   * Opens the head saved in {@code directory}. The caller owns and closes the model.
   *
   * @throws GraftException FAILED_PRECONDITION, reason CORRUPT_HEAD, when the weights are
   *     missing or do not fit the architecture
   */
  static Model open(
      String name, HeadArchitecture architecture, String prefix, Device device, Path directory) {
    Model model = newModel(name, architecture, device);
    try {
      model.load(directory, prefix, Map.of("epoch", "0"));
      return model;
    } catch (IOException | MalformedModelException | RuntimeException e) {
      model.close();
      throw GraftException.failedPrecondition(
          "CORRUPT_HEAD", "cannot load the head's weights: " + e.getMessage());
    }
  }

  private static Model newModel(String name, HeadArchitecture architecture, Device device) {
    HeadTrainer.engine();
    Model model = Model.newInstance(name, device, HeadTrainer.ENGINE);
    model.setBlock(architecture.newBlock());
    return model;
  }
}
