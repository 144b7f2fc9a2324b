package dev.graft.server.core.store.sql;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.graft.spi.GraftException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The shared store's PostgreSQL database: a bounded connection pool (HikariCP) whose schema
 * Flyway brings to the newest {@code db/migration/V*.sql} when it opens (replicas starting
 * together are safe: Flyway serialises migrations with a database lock).
 *
 * <p>Every failure leaves as a {@link GraftException}: UNAVAILABLE {@code STORE_UNAVAILABLE} when
 * the database cannot be reached (a call waits at most {@code connectTimeout} for a connection,
 * so a dead database never blocks a caller for long), INTERNAL {@code STORE_DATABASE} otherwise.
 *
 * <p>Thread-safe; {@link #close()} closes the pool.
 */
public final class Database implements AutoCloseable {
  /** How long a caller waits for a connection by default. */
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
  private static final Logger LOG = LoggerFactory.getLogger(Database.class);

  private final DatabaseUrl url;
  private final Optional<String> password;
  private final Duration connectTimeout;
  private final HikariDataSource pool;

  private Database(DatabaseUrl url, Optional<String> password, int poolSize, Duration connectTimeout) {
    this.url = url;
    this.password = password;
    this.connectTimeout = connectTimeout;
    HikariConfig config = new HikariConfig();
    config.setPoolName("graft-store");
    config.setJdbcUrl(url.jdbcUrl());
    if (!url.user().isEmpty()) {
      config.setUsername(url.user());
    }
    password.ifPresent(config::setPassword);
    config.setMaximumPoolSize(poolSize);
    config.setMinimumIdle(1);
    config.setConnectionTimeout(connectTimeout.toMillis());
    config.setValidationTimeout(Math.max(250, connectTimeout.toMillis() / 2));
    // Start even when the database is down: calls fail UNAVAILABLE until it is back.
    config.setInitializationFailTimeout(-1);
    properties(connectTimeout).forEach((k, v) -> config.addDataSourceProperty((String) k, v));
    this.pool = new HikariDataSource(config);
  }

  /**
   * Opens the pool and migrates the schema.
   *
   * @param poolSize the most connections this process holds
   * @throws GraftException UNAVAILABLE STORE_UNAVAILABLE when the database cannot be reached;
   *     INTERNAL STORE_DATABASE when the migration fails
   */
  public static Database open(DatabaseUrl url, Optional<String> password, int poolSize, Duration connectTimeout) {
    Objects.requireNonNull(url, "url");
    Database db = new Database(url, password, poolSize, connectTimeout);
    try {
      db.migrate();
      return db;
    } catch (RuntimeException e) {
      db.close();
      throw e;
    }
  }

  /** Where the database is, without credentials. */
  public DatabaseUrl url() {
    return url;
  }

  /**
   * Runs {@code work} in one transaction: committed when it returns, rolled back when it throws.
   *
   * @param what what is being done, for the error's message ("cannot store model 'reviews'")
   */
  public <T> T transaction(String what, Work<T> work) {
    try (Connection c = pool.getConnection()) {
      c.setAutoCommit(false);
      try {
        T result = work.run(c);
        c.commit();
        return result;
      } catch (SQLException | RuntimeException e) {
        rollbackQuietly(c);
        throw e;
      }
    } catch (SQLException e) {
      throw SqlErrors.of(what, url.display(), e);
    }
  }

  /** Runs {@code work} on a pooled connection in auto-commit mode (each statement its own transaction). */
  public <T> T read(String what, Work<T> work) {
    try (Connection c = pool.getConnection()) {
      return work.run(c);
    } catch (SQLException e) {
      throw SqlErrors.of(what, url.display(), e);
    }
  }

  /**
   * A connection of its own, outside the pool, for a long-lived {@code LISTEN}. The caller closes it.
   *
   * @throws SQLException when the database cannot be reached
   */
  public Connection dedicatedConnection() throws SQLException {
    Properties props = properties(connectTimeout);
    if (!url.user().isEmpty()) {
      props.setProperty("user", url.user());
    }
    password.ifPresent(p -> props.setProperty("password", p));
    Connection c = DriverManager.getConnection(url.jdbcUrl(), props);
    c.setAutoCommit(true);
    return c;
  }

  /** Whether the database answers now (a short query on a pooled connection). */
  public boolean reachable() {
    try (Connection c = pool.getConnection()) {
      return c.isValid((int) Math.max(1, connectTimeout.toSeconds()));
    } catch (SQLException e) {
      return false;
    }
  }

  @Override
  public void close() {
    pool.close();
  }

  @Override
  public String toString() {
    return url.display();
  }

  private void migrate() {
    try {
      var result = Flyway.configure()
          .dataSource(pool)
          .locations("classpath:db/migration")
          .load()
          .migrate();
      if (result.migrationsExecuted > 0) {
        LOG.info("store database {}: schema migrated to version {} ({} migrations)", url.display(),
            result.targetSchemaVersion, result.migrationsExecuted);
      }
    } catch (FlywayException e) {
      Throwable cause = e;
      while (cause != null && !(cause instanceof SQLException)) {
        cause = cause.getCause();
      }
      if (cause instanceof SQLException sql && SqlErrors.isUnavailable(sql)) {
        throw SqlErrors.of("cannot open the store", url.display(), sql);
      }
      throw GraftException.internal(SqlErrors.STORE_DATABASE,
          "cannot migrate the store's database " + url.display() + ": " + e.getMessage(), e);
    }
  }

  private static Properties properties(Duration connectTimeout) {
    Properties p = new Properties();
    long seconds = Math.max(1, connectTimeout.toSeconds());
    p.setProperty("connectTimeout", Long.toString(seconds));
    p.setProperty("loginTimeout", Long.toString(seconds));
    // A statement on a half-dead connection fails instead of hanging forever.
    p.setProperty("socketTimeout", "60");
    p.setProperty("tcpKeepAlive", "true");
    p.setProperty("ApplicationName", "graft");
    return p;
  }

  private static void rollbackQuietly(Connection c) {
    try {
      c.rollback();
    } catch (SQLException ignored) {
      // the connection is broken; the pool discards it
    }
  }

  /** Work on one connection. */
  @FunctionalInterface
  public interface Work<T> {
    T run(Connection connection) throws SQLException;
  }
}
