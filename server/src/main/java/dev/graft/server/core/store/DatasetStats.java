package dev.graft.server.core.store;

import dev.graft.spi.Example;
import dev.graft.spi.GraftException;
import dev.graft.spi.Target;
import dev.graft.spi.Task;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The task, labels and label counts of a list of examples. Immutable.
 *
 * @param labelCounts examples per label, in the order of {@code labels}
 */
record DatasetStats(Task task, List<String> labels, Map<String, Long> labelCounts) {
  /** The longest label a dataset may hold. */
  static final int MAX_LABEL_CHARS = DatasetRecord.MAX_LABEL_CHARS;

  /**
   * Summarises {@code examples}: infers the task from the targets when {@code declared} is null
   * (Label → CLASSIFICATION, Value → REGRESSION, Values → FORECASTING), else checks it.
   *
   * @throws GraftException INVALID_ARGUMENT: reason MIXED_TARGETS (field "data") when the targets
   *     are of different kinds, TASK_MISMATCH (field "spec.task") when they do not fit the declared
   *     task, INCONSISTENT_HORIZON (field "data") when "values" differ in length
   */
  static DatasetStats of(List<Example> examples, Task declared) {
    Map<Task, Integer> kinds = new LinkedHashMap<>();
    for (Example e : examples) {
      kinds.merge(taskOf(e.target()), 1, Integer::sum);
    }
    if (kinds.size() > 1) {
      throw GraftException.invalidArgument(
          "data", "MIXED_TARGETS", "the examples mix kinds of target (" + describe(kinds) + "); use one kind");
    }
    Task found = kinds.keySet().iterator().next();
    if (declared != null && declared != found) {
      throw GraftException.invalidArgument(
          "spec.task",
          "TASK_MISMATCH",
          "the task is " + declared + " but the targets are " + targetName(found) + " (" + found + ")");
    }
    if (found == Task.FORECASTING) {
      checkHorizon(examples);
    }
    if (found != Task.CLASSIFICATION) {
      return new DatasetStats(found, List.of(), Map.of());
    }
    Map<String, Long> counts = new HashMap<>();
    for (Example e : examples) {
      counts.merge(((Target.Label) e.target()).label(), 1L, Long::sum);
    }
    List<String> labels = new ArrayList<>(counts.keySet());
    labels.sort(labelOrder(labels));
    Map<String, Long> ordered = new LinkedHashMap<>();
    labels.forEach(l -> ordered.put(l, counts.get(l)));
    return new DatasetStats(found, labels, ordered);
  }

  private static void checkHorizon(List<Example> examples) {
    int horizon = ((Target.Values) examples.get(0).target()).values().length;
    for (int i = 1; i < examples.size(); i++) {
      int n = ((Target.Values) examples.get(i).target()).values().length;
      if (n != horizon) {
        throw GraftException.invalidArgument(
            "data",
            "INCONSISTENT_HORIZON",
            "example " + (i + 1) + " has " + n + " \"values\" but the first has " + horizon
                + ": every forecast needs the same horizon");
      }
    }
  }

  /** Numeric order when every label is an integer, else lexicographic. */
  private static Comparator<String> labelOrder(List<String> labels) {
    for (String l : labels) {
      if (!l.matches("-?[0-9]{1,18}")) {
        return Comparator.naturalOrder();
      }
    }
    return Comparator.comparingLong(Long::parseLong);
  }

  private static Task taskOf(Target t) {
    if (t instanceof Target.Label) {
      return Task.CLASSIFICATION;
    }
    return t instanceof Target.Value ? Task.REGRESSION : Task.FORECASTING;
  }

  private static String targetName(Task task) {
    return switch (task) {
      case CLASSIFICATION -> "labels";
      case REGRESSION -> "values";
      case FORECASTING -> "vectors of values";
    };
  }

  private static String describe(Map<Task, Integer> kinds) {
    List<String> parts = new ArrayList<>();
    kinds.forEach((task, n) -> parts.add(n + " " + targetName(task)));
    return String.join(", ", parts);
  }
}
