package dev.graft.server.core.store.sql;

import dev.graft.spi.ErrorKind;
import dev.graft.spi.GraftException;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLTransientConnectionException;

/** Maps database failures to the store's errors. Stateless. */
public final class SqlErrors {
  /** The database cannot be reached (down, restarting, network, pool exhausted waiting). */
  public static final String STORE_UNAVAILABLE = "STORE_UNAVAILABLE";
  /** The database refused a statement for another reason (a bug or a schema mismatch). */
  public static final String STORE_DATABASE = "STORE_DATABASE";
  /** SQLSTATE of a unique-key violation. */
  public static final String UNIQUE_VIOLATION = "23505";

  private SqlErrors() {}

  /** Whether {@code e} says the database could not be reached or the connection broke. */
  public static boolean isUnavailable(SQLException e) {
    if (e instanceof SQLTransientConnectionException || e instanceof SQLNonTransientConnectionException) {
      return true;
    }
    String state = e.getSQLState();
    // 08: connection exception; 57P01..57P03: admin shutdown, crash shutdown, cannot connect now
    return state != null && (state.startsWith("08") || state.startsWith("57P"));
  }

  /** Whether {@code e} is a unique-key violation. */
  public static boolean isUniqueViolation(SQLException e) {
    return UNIQUE_VIOLATION.equals(e.getSQLState());
  }

  /**
   * The store's error for a failed statement: UNAVAILABLE {@value #STORE_UNAVAILABLE} when the
   * database cannot be reached, else INTERNAL {@value #STORE_DATABASE}.
   *
   * @param what what was being done, e.g. "cannot store model 'reviews'"
   */
  public static GraftException of(String what, String database, SQLException e) {
    if (isUnavailable(e)) {
      return new GraftException(ErrorKind.UNAVAILABLE, STORE_UNAVAILABLE,
          "", what + ": the store's database " + database + " is unreachable (" + e.getMessage() + ")", e);
    }
    return GraftException.internal(STORE_DATABASE, what + ": " + e.getMessage(), e);
  }
}
