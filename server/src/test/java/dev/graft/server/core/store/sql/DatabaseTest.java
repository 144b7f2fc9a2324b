package dev.graft.server.core.store.sql;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.server.PostgresServer;
import dev.graft.spi.ErrorKind;
import dev.graft.spi.GraftException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The database layer against a real PostgreSQL: migration, transactions, credentials, a dead server. */
class DatabaseTest {
  private static PostgresServer server;

  @BeforeAll
  static void start() throws Exception {
    server = PostgresServer.startOrSkip();
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void migratesTheSchemaOnceEvenWhenTwoReplicasOpenTogether() throws Exception {
    DatabaseUrl url = server.newDatabase();
    try (Database a = Database.open(url, Optional.of(server.password()), 2, Duration.ofSeconds(3));
        Database b = Database.open(url, Optional.of(server.password()), 2, Duration.ofSeconds(3))) {
      List<String> tables = a.read("list", c -> {
        List<String> out = new ArrayList<>();
        try (Statement s = c.createStatement();
            ResultSet rs = s.executeQuery("SELECT table_name FROM information_schema.tables"
                + " WHERE table_schema = 'public' ORDER BY table_name")) {
          while (rs.next()) {
            out.add(rs.getString(1));
          }
        }
        return out;
      });
      assertTrue(tables.containsAll(List.of("datasets", "instances", "job_cancels", "jobs", "model_aliases",
          "model_versions")), tables.toString());
      assertTrue(b.reachable());
    }
  }

  @Test
  void aTransactionThatThrowsLeavesNothing() throws Exception {
    try (Database db = server.newStoreDatabase()) {
      assertThrows(IllegalStateException.class, () -> db.transaction("insert", c -> {
        try (Statement s = c.createStatement()) {
          s.executeUpdate("INSERT INTO job_cancels VALUES ('job-1', now(), 'alice')");
        }
        throw new IllegalStateException("changed my mind");
      }));
      int rows = db.read("count", c -> {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT count(*) FROM job_cancels")) {
          rs.next();
          return rs.getInt(1);
        }
      });
      assertEquals(0, rows);
    }
  }

  @Test
  void aWrongPasswordIsRefusedAndAPasswordInTheUrlIsRejected() throws Exception {
    DatabaseUrl url = server.newDatabase();
    GraftException e = assertThrows(GraftException.class,
        () -> Database.open(url, Optional.of("wrong"), 1, Duration.ofSeconds(3)).close());
    assertFalse(e.getMessage().contains(server.password()));
    IllegalArgumentException inUrl = assertThrows(IllegalArgumentException.class,
        () -> DatabaseUrl.parse("postgresql://graft:secret@127.0.0.1/db"));
    assertTrue(inUrl.getMessage().contains("GRAFT_STORE_PASSWORD"), inUrl.getMessage());
    assertFalse(inUrl.getMessage().contains("secret"), inUrl.getMessage());
  }

  @Test
  void aDeadDatabaseIsUnavailableWithinTheConnectTimeoutAndRecovers() throws Exception {
    PostgresServer own = PostgresServer.startOrSkip();
    try (own) {
      DatabaseUrl url = own.newDatabase();
      try (Database db = Database.open(url, Optional.of(own.password()), 2, Duration.ofSeconds(2))) {
        own.stop();
        long start = System.nanoTime();
        GraftException e = assertThrows(GraftException.class, () -> db.read("ping", c -> {
          try (Statement s = c.createStatement()) {
            s.execute("SELECT 1");
          }
          return null;
        }));
        long seconds = Duration.ofNanos(System.nanoTime() - start).toSeconds();
        assertEquals(ErrorKind.UNAVAILABLE, e.kind());
        assertEquals(SqlErrors.STORE_UNAVAILABLE, e.reason());
        assertTrue(e.getMessage().contains(url.display()), e.getMessage());
        assertTrue(seconds < 15, "took " + seconds + " s");
        assertFalse(db.reachable());
        own.start();
        long back = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!db.reachable() && System.nanoTime() < back) {
          Thread.sleep(100); // the pool reconnects on its own; slowly on a loaded machine
        }
        assertTrue(db.reachable());
      }
    }
  }

  @Test
  void urlsAndCredentials() throws Exception {
    DatabaseUrl url = DatabaseUrl.parse("postgresql://graft@db.example:6543/registry?sslmode=require");
    assertEquals("jdbc:postgresql://db.example:6543/registry?sslmode=require", url.jdbcUrl());
    assertEquals("graft", url.user());
    assertEquals("postgresql://graft@db.example:6543/registry", url.display());
    assertEquals("jdbc:postgresql://h:5432/d", DatabaseUrl.parse("postgresql://h/d").jdbcUrl());
    assertThrows(IllegalArgumentException.class, () -> DatabaseUrl.parse("postgresql://h/"));
    assertThrows(IllegalArgumentException.class, () -> DatabaseUrl.parse("mysql://h/d"));
    assertEquals(Optional.of("s3cret"), DatabaseCredentials.password(null, Map.of("GRAFT_STORE_PASSWORD", "s3cret")));
    assertEquals(Optional.empty(), DatabaseCredentials.password(null, Map.of()));
    try (Connection c = server.connect("postgres")) {
      assertTrue(c.isValid(2));
    }
  }
}
