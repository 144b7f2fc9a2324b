package dev.graft.server.core.store.sql;

import dev.graft.server.core.store.ModelAliases;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.TreeMap;

/**
 * The shared store's {@link ModelAliases}: rows of {@code model_aliases(name, alias, version)}.
 * Setting or moving an alias is one committed row change, so every replica sees the old version or
 * the new one, and sees it at once (nothing is cached). Like the local store, an alias may name a
 * version that does not exist (any more): {@code name:alias} then finds nothing.
 *
 * <p>Thread-safe: no state but the database. Failures are {@link dev.graft.spi.GraftException}s
 * from {@link Database} (UNAVAILABLE {@code STORE_UNAVAILABLE} when it is down).
 */
public final class SqlModelAliases implements ModelAliases {
  private static final int MAX_SET_ATTEMPTS = 100;

  private final Database db;

  public SqlModelAliases(Database db) {
    this.db = Objects.requireNonNull(db, "db");
  }

  @Override
  public OptionalInt version(String name, String alias) {
    return db.read("cannot read alias " + name + ":" + alias, c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT version FROM model_aliases WHERE name = ? AND alias = ?")) {
        ps.setString(1, name);
        ps.setString(2, alias);
        try (ResultSet rs = ps.executeQuery()) {
          return rs.next() ? OptionalInt.of(rs.getInt(1)) : OptionalInt.empty();
        }
      }
    });
  }

  @Override
  public Map<String, Integer> of(String name) {
    return db.read("cannot list the aliases of model '" + name + "'", c -> {
      Map<String, Integer> out = new TreeMap<>();
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT alias, version FROM model_aliases WHERE name = ? ORDER BY alias")) {
        ps.setString(1, name);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            out.put(rs.getString(1), rs.getInt(2));
          }
        }
      }
      return out;
    });
  }


  /**
   * Points {@code name:alias} at {@code version} in one transaction: the row is locked and updated
   * when it exists, inserted otherwise (an insert that loses a race to another replica's turns into
   * an update of the row it made), so the previous version returned is exact.
   */
  @Override
  public int set(String name, String alias, int version) {
    ModelAliases.validate(alias, "alias");
    return db.transaction("cannot write alias " + name + ":" + alias, c -> {
      for (int attempt = 0; attempt < MAX_SET_ATTEMPTS; attempt++) {
        OptionalInt previous = lockedVersion(c, name, alias);
        if (previous.isPresent()) {
          try (PreparedStatement ps = c.prepareStatement(
              "UPDATE model_aliases SET version = ?, updated_at = now() WHERE name = ? AND alias = ?")) {
            ps.setInt(1, version);
            ps.setString(2, name);
            ps.setString(3, alias);
            ps.executeUpdate();
          }
          return previous.getAsInt();
        }
        try (PreparedStatement ps = c.prepareStatement(
            "INSERT INTO model_aliases (name, alias, version, updated_at) VALUES (?, ?, ?, now())"
                + " ON CONFLICT (name, alias) DO NOTHING")) {
          ps.setString(1, name);
          ps.setString(2, alias);
          ps.setInt(3, version);
          if (ps.executeUpdate() == 1) {
            return 0;
          }
        }
      }
      throw new SQLException("alias " + name + ":" + alias + " changed under " + MAX_SET_ATTEMPTS + " attempts to set it");
    });
  }

  @Override
  public OptionalInt delete(String name, String alias) {
    ModelAliases.validate(alias, "alias");
    return db.read("cannot delete alias " + name + ":" + alias, c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "DELETE FROM model_aliases WHERE name = ? AND alias = ? RETURNING version")) {
        ps.setString(1, name);
        ps.setString(2, alias);
        try (ResultSet rs = ps.executeQuery()) {
          return rs.next() ? OptionalInt.of(rs.getInt(1)) : OptionalInt.empty();
        }
      }
    });
  }

  /**
   * Imports an alias of another store ({@code graft store migrate}): inserted when absent, PRESENT
   * when it names the same version already, CONFLICT (left alone) when it names another.
   */
  public ImportResult importAlias(String name, String alias, int version) {
    ModelAliases.validate(alias, "alias");
    return db.transaction("cannot import alias " + name + ":" + alias, c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "INSERT INTO model_aliases (name, alias, version, updated_at) VALUES (?, ?, ?, now())"
              + " ON CONFLICT (name, alias) DO NOTHING")) {
        ps.setString(1, name);
        ps.setString(2, alias);
        ps.setInt(3, version);
        if (ps.executeUpdate() == 1) {
          return ImportResult.copied(0, 0);
        }
      }
      int there = lockedVersion(c, name, alias).orElse(0);
      return there == version ? ImportResult.present("")
          : ImportResult.conflict("the shared store's " + name + ":" + alias + " names version " + there
              + ", the source's version " + version);
    });
  }

  private static OptionalInt lockedVersion(Connection c, String name, String alias) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT version FROM model_aliases WHERE name = ? AND alias = ? FOR UPDATE")) {
      ps.setString(1, name);
      ps.setString(2, alias);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? OptionalInt.of(rs.getInt(1)) : OptionalInt.empty();
      }
    }
  }
}
