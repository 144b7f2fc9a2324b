package dev.graft.plugins.featureextraction;

import ai.djl.util.JsonUtils;
import dev.graft.spi.FeatureRequest;
import dev.graft.spi.GraftException;
import dev.graft.spi.Pooling;
import dev.graft.spi.Task;
import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The contents of {@code head.json}: everything besides the weights that a trained head needs to
 * predict. Immutable by convention (arrays are not copied; nobody writes to them).
 *
 * @param format the file format version, {@link #FORMAT}
 * @param task the task the head was trained for
 * @param labels the class labels in output order (empty for regression and forecasting)
 * @param outputs the number of outputs (classes, or values per example)
 * @param architecture the head's layers
 * @param features which features the head reads and how they are standardised
 * @param targets how regression targets were standardised; null for classification
 * @param bestEpoch the epoch whose weights were kept (1-based within the kept head's own training:
 *     each candidate head is a phase of the job, with its epochs numbered from 1)
 * @param epochsTrained the epochs that ran, all candidates together
 * @param parameters the prefix of the DJL parameter file ({@code <parameters>-0000.params})
 */
public record HeadSpec(
    int format,
    Task task,
    List<String> labels,
    int outputs,
    HeadArchitecture architecture,
    Features features,
    Scale targets,
    int bestEpoch,
    int epochsTrained,
    String parameters) {

  /** The current format version. */
  public static final int FORMAT = 1;
  /** The file name in the model directory. */
  public static final String FILE = "head.json";

  /** The feature request and per-dimension standardisation of the head's input. */
  public record Features(
      String layer, Pooling pooling, boolean normalize, float[] mean, float[] std) {
    FeatureRequest request() {
      return new FeatureRequest(layer, pooling, normalize);
    }
  }

  /** A per-column mean and standard deviation. */
  public record Scale(float[] mean, float[] std) {}

  /** Writes this spec as {@code directory/head.json}. */
  void write(Path directory) throws IOException {
    try (Writer w = Files.newBufferedWriter(directory.resolve(FILE), StandardCharsets.UTF_8)) {
      JsonUtils.GSON_PRETTY.toJson(this, w);
    }
  }

  /**
   * Reads {@code directory/head.json}.
   *
   * @throws GraftException FAILED_PRECONDITION, reason CORRUPT_HEAD, when it is missing, of an
   *     unknown format or inconsistent
   */
  static HeadSpec read(Path directory) {
    Path file = directory.resolve(FILE);
    HeadSpec spec;
    try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      spec = JsonUtils.GSON.fromJson(r, HeadSpec.class);
    } catch (IOException | RuntimeException e) {
      throw corrupt("cannot read " + file + ": " + e.getMessage());
    }
    if (spec == null) {
      throw corrupt(file + " is empty");
    }
    spec.check();
    return spec;
  }

  private void check() {
    if (format != FORMAT) {
      throw corrupt("head.json has format " + format + "; this plugin reads format " + FORMAT);
    }
    if (task == null || architecture == null || features == null || parameters == null) {
      throw corrupt("head.json lacks task, architecture, features or parameters");
    }
    int d = architecture.inputs();
    if (features.mean() == null || features.std() == null
        || features.mean().length != d || features.std().length != d) {
      throw corrupt("head.json: feature mean/std do not match the head's " + d + " inputs");
    }
    if (architecture.outputs() != outputs || outputs < 1) {
      throw corrupt("head.json: outputs disagree with the architecture");
    }
    if (task == Task.CLASSIFICATION) {
      if (labels == null || labels.size() != outputs) {
        throw corrupt("head.json: " + outputs + " outputs but labels " + labels);
      }
    } else if (targets == null || targets.mean() == null || targets.std() == null
        || targets.mean().length != outputs || targets.std().length != outputs) {
      throw corrupt("head.json: target mean/std do not match the head's " + outputs + " outputs");
    }
  }

  private static GraftException corrupt(String message) {
    return GraftException.failedPrecondition("CORRUPT_HEAD", message);
  }
}
