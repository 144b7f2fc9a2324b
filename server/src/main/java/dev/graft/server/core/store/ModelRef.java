package dev.graft.server.core.store;

import dev.graft.spi.GraftException;

/**
 * A parsed model reference: {@code name} (latest, version 0), {@code name@version} or
 * {@code name:alias} (version 0, alias set). Immutable.
 */
public record ModelRef(String name, int version, String alias) {
  static final String INVALID_MODEL_NAME = "INVALID_MODEL_NAME";

  /**
   * Parses {@code ref}.
   *
   * @throws GraftException INVALID_ARGUMENT naming {@code field}, reason INVALID_MODEL_NAME
   */
  public static ModelRef parse(String ref, String field) {
    if (ref == null || ref.isEmpty()) {
      throw GraftException.invalidArgument(field, INVALID_MODEL_NAME,
          field + " is empty: give a model name, name@version or name:alias");
    }
    int colon = ref.indexOf(':');
    if (colon >= 0) {
      String name = ref.substring(0, colon);
      ModelStore.validateName(name, field);
      ModelAliases.validate(ref.substring(colon + 1), field);
      return new ModelRef(name, 0, ref.substring(colon + 1));
    }
    int at = ref.indexOf('@');
    if (at < 0) {
      ModelStore.validateName(ref, field);
      return new ModelRef(ref, 0, "");
    }
    String name = ref.substring(0, at);
    ModelStore.validateName(name, field);
    String v = ref.substring(at + 1);
    if (!v.matches("[1-9][0-9]{0,8}")) {
      throw GraftException.invalidArgument(
          field, INVALID_MODEL_NAME, field + " '" + ref + "': the version after '@' must be a positive number");
    }
    return new ModelRef(name, Integer.parseInt(v), "");
  }
}
