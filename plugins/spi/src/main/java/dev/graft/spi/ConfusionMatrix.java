package dev.graft.spi;

import java.util.Arrays;
import java.util.List;

/**
 * A classifier's confusion matrix on one split: {@code counts[i * labels.size() + j]} examples
 * whose true label is {@code labels.get(i)} were predicted {@code labels.get(j)}. The counts sum
 * to the split's size and the diagonal's share is the accuracy. Immutable (the array is copied in
 * and out).
 *
 * @param labels the classes in the model's output order (at least one)
 * @param counts row-major, true label × predicted label, {@code labels.size()²} non-negative values
 * @param split the split it was measured on ("validation", or "train" when the job had none)
 * @since SPI 1.5
 */
public record ConfusionMatrix(List<String> labels, long[] counts, String split) {

  public ConfusionMatrix {
    labels = List.copyOf(labels);
    counts = counts.clone();
    if (labels.isEmpty() || counts.length != labels.size() * labels.size()) {
      throw new IllegalArgumentException("a confusion matrix of " + labels.size() + " labels needs "
          + labels.size() * labels.size() + " counts, got " + counts.length);
    }
    for (long c : counts) {
      if (c < 0) {
        throw new IllegalArgumentException("confusion counts cannot be negative: " + c);
      }
    }
    split = split == null ? "" : split;
  }

  @Override
  public long[] counts() {
    return counts.clone();
  }

  /** Examples counted (the split's size). */
  public long total() {
    return Arrays.stream(counts).sum();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ConfusionMatrix m && labels.equals(m.labels) && Arrays.equals(counts, m.counts)
        && split.equals(m.split);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * labels.hashCode() + Arrays.hashCode(counts)) + split.hashCode();
  }

  @Override
  public String toString() {
    return "ConfusionMatrix" + labels + Arrays.toString(counts) + "(" + split + ")";
  }
}
