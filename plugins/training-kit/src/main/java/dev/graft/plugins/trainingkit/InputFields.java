package dev.graft.plugins.trainingkit;

import dev.graft.spi.GraftException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Renames the field of a backbone's input error ({@code inputs[i]} within a batch) to what the
 * request calls that input: {@code train.examples[k].input} while training, {@code inputs[k]}
 * while predicting. Stateless and thread-safe.
 */
final class InputFields {
  private static final Pattern INPUT = Pattern.compile("inputs\\[(\\d+)](.*)");

  private InputFields() {}

  /**
   * @param index maps the batch position to the request's index
   * @param prefix the request's name for the list ("train.examples[", "inputs[")
   * @param suffix what follows the index ("].input", "]")
   */
  static GraftException rename(GraftException e, java.util.function.IntUnaryOperator index,
      String prefix, String suffix) {
    Matcher m = INPUT.matcher(e.field());
    if (!m.matches()) {
      return e;
    }
    String field = prefix + index.applyAsInt(Integer.parseInt(m.group(1))) + suffix + m.group(2);
    return new GraftException(e.kind(), e.reason(), field, e.getMessage(), e);
  }
}
