package dev.graft.spi;

import java.util.List;

/**
 * The task a job trains for: its kind and, for classification, the labels in the order the
 * model's outputs use. Immutable.
 */
public record TaskSpec(Task task, List<String> labels) {
  public TaskSpec {
    labels = List.copyOf(labels);
  }

  /** The output width: the number of classes, or 1 for regression. */
  public int outputs() {
    return task == Task.CLASSIFICATION ? labels.size() : 1;
  }

  /** The output index of a label, or -1. */
  public int indexOf(String label) {
    return labels.indexOf(label);
  }
}
