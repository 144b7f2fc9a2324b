package dev.graft.plugins.featureextraction;

import dev.graft.spi.Backbone;
import dev.graft.spi.CancellationToken;
import dev.graft.spi.FeatureRequest;
import dev.graft.spi.GraftException;
import dev.graft.spi.ModelInput;
import dev.graft.spi.ProgressListener;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs a borrowed backbone over a data set in batches, checking for cancellation and reporting
 * progress between batches. Not thread-safe: use it from the training thread. It never closes
 * the backbone.
 */
final class FeatureComputer {
  /** Inputs per backbone call. */
  static final int BATCH_SIZE = 32;

  private static final Pattern INPUT_FIELD = Pattern.compile("inputs\\[(\\d+)](.*)");

  private final Backbone backbone;
  private final CancellationToken cancellation;
  private final ProgressListener progress;

  FeatureComputer(Backbone backbone, CancellationToken cancellation, ProgressListener progress) {
    this.backbone = backbone;
    this.cancellation = cancellation;
    this.progress = progress;
  }

  /**
   * Features of {@code inputs}, one row each, all of the same length.
   *
   * @param split "train" or "validation": names the data in messages and error fields
   * @throws GraftException CANCELLED when the job is cancelled; INVALID_ARGUMENT naming
   *     {@code <split>.examples[i].input} for an input the backbone cannot read
   */
  float[][] compute(String split, List<ModelInput> inputs, FeatureRequest request) {
    int n = inputs.size();
    float[][] features = new float[n][];
    for (int start = 0; start < n; start += BATCH_SIZE) {
      cancellation.throwIfCancelled();
      int end = Math.min(n, start + BATCH_SIZE);
      float[][] batch = extract(split, inputs.subList(start, end), start, request);
      if (batch == null || batch.length != end - start) {
        throw GraftException.internal(
            "BACKBONE_FAILED",
            "the backbone returned " + (batch == null ? "nothing" : batch.length + " vectors")
                + " for " + (end - start) + " inputs",
            null);
      }
      System.arraycopy(batch, 0, features, start, batch.length);
      progress.onMessage(String.format(Locale.ROOT, "embedding %s %d/%d", split, end, n));
    }
    cancellation.throwIfCancelled();
    requireSameDimension(features);
    return features;
  }

  private float[][] extract(
      String split, List<ModelInput> batch, int offset, FeatureRequest request) {
    try {
      return backbone.extract(batch, request);
    } catch (GraftException e) {
      if (e.field().equals("layer") || e.field().equals("pooling")) {
        String field = "hyperparameters.extra[" + e.field() + "]";
        throw new GraftException(e.kind(), e.reason(), field, e.getMessage(), e);
      }
      Matcher m = INPUT_FIELD.matcher(e.field());
      if (!m.matches()) {
        throw e;
      }
      int index = offset + Integer.parseInt(m.group(1));
      String field = split + ".examples[" + index + "].input" + m.group(2);
      throw new GraftException(e.kind(), e.reason(), field, e.getMessage(), e);
    }
  }

  /** @throws GraftException INTERNAL when the backbone returned vectors of different lengths */
  static void requireSameDimension(float[][] features) {
    if (features.length == 0) {
      return;
    }
    int d = features[0] == null ? -1 : features[0].length;
    for (float[] row : features) {
      if (row == null || row.length != d || d == 0) {
        throw GraftException.internal(
            "BACKBONE_FAILED", "the backbone returned feature vectors of different lengths", null);
      }
    }
  }
}
