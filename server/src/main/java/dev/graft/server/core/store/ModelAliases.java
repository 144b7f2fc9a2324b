package dev.graft.server.core.store;

import dev.graft.server.core.Echo;
import dev.graft.spi.GraftException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Aliases of model versions ({@code reviews:prod} → {@code reviews@3}): the file
 * {@code aliases/<name>/<alias>} holds the version number. Setting or moving an alias replaces
 * that file atomically ({@link AtomicFiles#write}), so every reader, in this process or another
 * replica on the same store, sees the old version or the new one. Thread-safe: no state but the
 * disk.
 */
public final class ModelAliases {
  private static final Pattern ALIAS = Pattern.compile("[a-z][a-z0-9_-]{0,31}");

  private final StoreLayout layout;

  ModelAliases(StoreLayout layout) {
    this.layout = layout;
  }

  /**
   * Checks an alias: a lower-case word, {@code [a-z][a-z0-9_-]{0,31}} (so never a version number).
   *
   * @throws GraftException INVALID_ARGUMENT naming {@code field}, reason INVALID_ALIAS
   */
  public static void validate(String alias, String field) {
    if (alias == null || !ALIAS.matcher(alias).matches()) {
      throw GraftException.invalidArgument(field, "INVALID_ALIAS", field + " " + Echo.quote(alias)
          + " is not a valid alias: use 1 to 32 characters from a-z, 0-9, '_' and '-', starting with a letter");
    }
  }

  /** The version {@code name:alias} names, if the alias exists. */
  public OptionalInt version(String name, String alias) {
    try {
      String text = Files.readString(file(name, alias), StandardCharsets.UTF_8).trim();
      return OptionalInt.of(Integer.parseInt(text));
    } catch (NoSuchFileException | NumberFormatException absent) {
      return OptionalInt.empty();
    } catch (IOException e) {
      throw StoreErrors.io("cannot read alias " + name + ":" + alias, e);
    }
  }

  /** Every alias of model {@code name} and the version it names, sorted by alias. */
  public Map<String, Integer> of(String name) {
    Map<String, Integer> out = new TreeMap<>();
    try {
      for (Path f : FileTrees.children(layout.aliases().resolve(name))) {
        String alias = f.getFileName().toString();
        if (ALIAS.matcher(alias).matches()) {
          version(name, alias).ifPresent(v -> out.put(alias, v));
        }
      }
    } catch (IOException e) {
      throw StoreErrors.io("cannot list the aliases of model '" + name + "'", e);
    }
    return out;
  }

  /** The aliases that name {@code name@version}, sorted. */
  public List<String> naming(String name, int version) {
    return naming(of(name), version);
  }

  /** The aliases of {@code aliases} (as {@link #of} returns them) that name {@code version}, sorted. */
  public static List<String> naming(Map<String, Integer> aliases, int version) {
    List<String> out = new ArrayList<>();
    aliases.forEach((alias, v) -> {
      if (v == version) {
        out.add(alias);
      }
    });
    return out;
  }

  /**
   * Points {@code name:alias} at {@code version} (creating or moving it) in one atomic replace.
   *
   * @return the version it named before, or 0 if it is new
   */
  public int set(String name, String alias, int version) {
    validate(alias, "alias");
    int previous = version(name, alias).orElse(0);
    try {
      AtomicFiles.write(file(name, alias), Integer.toString(version).getBytes(StandardCharsets.UTF_8),
          layout.instanceId());
    } catch (IOException e) {
      throw StoreErrors.io("cannot write alias " + name + ":" + alias, e);
    }
    return previous;
  }

  /**
   * Removes {@code name:alias}.
   *
   * @return the version it named, or empty if there was no such alias
   */
  public OptionalInt delete(String name, String alias) {
    validate(alias, "alias");
    OptionalInt previous = version(name, alias);
    try {
      if (Files.deleteIfExists(file(name, alias))) {
        AtomicFiles.fsyncDirectory(file(name, alias).getParent());
        return previous;
      }
      return OptionalInt.empty();
    } catch (IOException e) {
      throw StoreErrors.io("cannot delete alias " + name + ":" + alias, e);
    }
  }

  private Path file(String name, String alias) {
    return layout.aliases().resolve(name).resolve(alias);
  }
}
