package dev.graft.server.core.store;

import dev.graft.server.core.Echo;
import dev.graft.spi.GraftException;
import java.io.IOException;
import java.util.Map;
import java.util.Set;

/** Errors of dataset parsers, naming the line and field the API way. Stateless. */
final class RecordErrors {
  static final String INVALID_DATASET_RECORD = "INVALID_DATASET_RECORD";

  private RecordErrors() {}

  /** A bad record: field "data[line N]", message "line N: ...". */
  static GraftException at(long line, String message) {
    return GraftException.invalidArgument("data[line " + line + "]", INVALID_DATASET_RECORD, "line " + line + ": " + message);
  }

  /** A bad field of a record: field "data[line N].FIELD", message "line N: ...". */
  static GraftException at(long line, String field, String message) {
    return GraftException.invalidArgument(
        "data[line " + line + "]." + Echo.cut(field), INVALID_DATASET_RECORD, "line " + line + ": " + message);
  }

  static GraftException io(IOException e) {
    return StoreErrors.io("cannot read dataset", e);
  }

  /** Refuses parts other than {@code allowed}: field "chunk.part", reason UNEXPECTED_PART. */
  static void onlyParts(Map<String, ?> parts, Set<String> allowed, String format) {
    for (String part : parts.keySet()) {
      if (!allowed.contains(part)) {
        throw GraftException.invalidArgument(
            "chunk.part",
            "UNEXPECTED_PART",
            format + " datasets have " + (allowed.equals(Set.of("")) ? "one unnamed part" : "the parts " + allowed)
                + ", not " + Echo.quote(part));
      }
    }
  }
}
