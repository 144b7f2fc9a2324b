package dev.graft.plugins.trainingkit;

import ai.djl.util.JsonUtils;
import dev.graft.spi.GraftException;
import dev.graft.spi.Task;
import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * {@code transfer.json}: what a model whose backbone was trained needs besides its weights
 * ({@code encoder.params}, {@code head.params}) to predict. Immutable by convention.
 *
 * @param format the file format, {@link #FORMAT}
 * @param strategy the strategy that trained it
 * @param task the task
 * @param labels class labels in output order (classification), else empty
 * @param outputs the head's outputs
 * @param backboneOptions the options to reopen the base model's trainable backbone with
 * @param features the width of the backbone's pooled features
 * @param headDropout the head's dropout (inactive when predicting)
 * @param targetMean regression targets' mean, else null
 * @param targetStd regression targets' standard deviation, else null
 * @param bestEpoch the epoch whose weights were kept
 * @param epochsTrained epochs run, a resumed job's included
 * @param trainedGroups the backbone groups that trained in the last epoch, bottom first
 */
public record TransferSpec(
    int format,
    String strategy,
    Task task,
    List<String> labels,
    int outputs,
    Map<String, String> backboneOptions,
    int features,
    float headDropout,
    float[] targetMean,
    float[] targetStd,
    int bestEpoch,
    int epochsTrained,
    List<String> trainedGroups) {

  public static final int FORMAT = 1;
  public static final String FILE = "transfer.json";
  public static final String ENCODER = "encoder.params";
  public static final String HEAD = "head.params";

  void write(Path directory) throws IOException {
    try (Writer w = Files.newBufferedWriter(directory.resolve(FILE), StandardCharsets.UTF_8)) {
      JsonUtils.GSON_PRETTY.toJson(this, w);
    }
  }

  /**
   * Reads {@code directory/transfer.json}.
   *
   * @throws GraftException FAILED_PRECONDITION CORRUPT_MODEL when it is missing or inconsistent
   */
  static TransferSpec read(Path directory) {
    Path file = directory.resolve(FILE);
    TransferSpec spec;
    try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      spec = JsonUtils.GSON.fromJson(r, TransferSpec.class);
    } catch (IOException | RuntimeException e) {
      throw corrupt("cannot read " + file + ": " + e.getMessage());
    }
    if (spec == null || spec.format() != FORMAT || spec.task() == null || spec.outputs() < 1
        || spec.backboneOptions() == null || spec.features() < 1) {
      throw corrupt(file + " is incomplete or of another format");
    }
    if (spec.task() == Task.CLASSIFICATION
        ? spec.labels() == null || spec.labels().size() != spec.outputs()
        : spec.targetMean() == null || spec.targetMean().length != spec.outputs()
            || spec.targetStd() == null || spec.targetStd().length != spec.outputs()) {
      throw corrupt(file + ": outputs disagree with the labels or target scale");
    }
    return spec;
  }

  static GraftException corrupt(String message) {
    return GraftException.failedPrecondition("CORRUPT_MODEL", message);
  }
}
