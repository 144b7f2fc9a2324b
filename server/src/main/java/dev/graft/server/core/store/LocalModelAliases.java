package dev.graft.server.core.store;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.TreeMap;

/**
 * Aliases of model versions kept in files: the file
 * {@code aliases/<name>/<alias>} holds the version number. Setting or moving an alias replaces
 * that file atomically ({@link AtomicFiles#write}), so every reader, in this process or another
 * replica on the same store, sees the old version or the new one. Thread-safe: no state but the
 * disk.
 */
public final class LocalModelAliases implements ModelAliases {
  private final StoreLayout layout;

  LocalModelAliases(StoreLayout layout) {
    this.layout = layout;
  }

  /** The version {@code name:alias} names, if the alias exists. */
  @Override
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
  @Override
  public Map<String, Integer> of(String name) {
    Map<String, Integer> out = new TreeMap<>();
    try {
      for (Path f : FileTrees.children(layout.aliases().resolve(name))) {
        String alias = f.getFileName().toString();
        if (ModelAliases.isValid(alias)) {
          version(name, alias).ifPresent(v -> out.put(alias, v));
        }
      }
    } catch (IOException e) {
      throw StoreErrors.io("cannot list the aliases of model '" + name + "'", e);
    }
    return out;
  }


  /**
   * Points {@code name:alias} at {@code version} (creating or moving it) in one atomic replace.
   *
   * @return the version it named before, or 0 if it is new
   */
  @Override
  public int set(String name, String alias, int version) {
    ModelAliases.validate(alias, "alias");
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
  @Override
  public OptionalInt delete(String name, String alias) {
    ModelAliases.validate(alias, "alias");
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
