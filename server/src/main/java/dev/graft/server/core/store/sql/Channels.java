package dev.graft.server.core.store.sql;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;

/**
 * The shared store's notification channels ({@code LISTEN}/{@code NOTIFY}); each payload is a job
 * id. A notification sent in a transaction is delivered when it commits, and never if it rolls
 * back. Stateless.
 */
final class Channels {
  /** A job's record changed. */
  static final String JOBS = "graft_jobs";
  /** Someone asked the owner of a job to cancel it. */
  static final String JOB_CANCELS = "graft_job_cancels";

  private Channels() {}

  /** Sends {@code payload} on {@code channel}, within the transaction of {@code c}. */
  static void notify(Connection c, String channel, String payload) throws SQLException {
    try (PreparedStatement s = c.prepareStatement("SELECT pg_notify(?, ?)")) {
      s.setString(1, channel);
      s.setString(2, payload);
      s.execute();
    }
  }
}
