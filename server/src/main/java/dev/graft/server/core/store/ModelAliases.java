package dev.graft.server.core.store;

import dev.graft.server.core.Echo;
import dev.graft.spi.GraftException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * Aliases of model versions: {@code reviews:prod} names {@code reviews@3} until the alias is
 * moved. Moving an alias is atomic: every reader, on any replica, sees the old version or the new
 * one. Implementations are thread-safe.
 */
public interface ModelAliases {

  /** Whether {@code alias} is a lower-case word, {@code [a-z][a-z0-9_-]{0,31}} (so never a version number). */
  static boolean isValid(String alias) {
    return alias != null && StoreNames.ALIAS.matcher(alias).matches();
  }

  /**
   * Checks an alias: a lower-case word, {@code [a-z][a-z0-9_-]{0,31}} (so never a version number).
   *
   * @throws GraftException INVALID_ARGUMENT naming {@code field}, reason INVALID_ALIAS
   */
  static void validate(String alias, String field) {
    if (!isValid(alias)) {
      throw GraftException.invalidArgument(field, "INVALID_ALIAS", field + " " + Echo.quote(alias)
          + " is not a valid alias: use 1 to 32 characters from a-z, 0-9, '_' and '-', starting with a letter");
    }
  }

  /** The aliases of {@code aliases} (as {@link #of} returns them) that name {@code version}, sorted. */
  static List<String> naming(Map<String, Integer> aliases, int version) {
    List<String> out = new ArrayList<>();
    aliases.forEach((alias, v) -> {
      if (v == version) {
        out.add(alias);
      }
    });
    return out;
  }

  /** The version {@code name:alias} names, if the alias exists. */
  OptionalInt version(String name, String alias);

  /** Every alias of model {@code name} and the version it names, sorted by alias. */
  Map<String, Integer> of(String name);

  /** The aliases that name {@code name@version}, sorted. */
  default List<String> naming(String name, int version) {
    return naming(of(name), version);
  }

  /**
   * Points {@code name:alias} at {@code version} (creating or moving it) in one atomic replace.
   *
   * @return the version it named before, or 0 if it is new
   * @throws GraftException INVALID_ARGUMENT reason INVALID_ALIAS
   */
  int set(String name, String alias, int version);

  /**
   * Removes {@code name:alias}.
   *
   * @return the version it named, or empty if there was no such alias
   * @throws GraftException INVALID_ARGUMENT reason INVALID_ALIAS
   */
  OptionalInt delete(String name, String alias);
}
