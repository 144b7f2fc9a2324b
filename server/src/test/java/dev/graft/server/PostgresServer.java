package dev.graft.server;

import dev.graft.server.core.store.sql.Database;
import dev.graft.server.core.store.sql.DatabaseUrl;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * A real PostgreSQL server for tests: Debian's binaries ({@code /usr/lib/postgresql/<v>/bin},
 * package {@code postgresql}; .ci/run installs it) initialised with {@code initdb} in a temporary
 * folder, started on a free loopback port with password authentication, stopped and deleted on
 * {@link #close}. PostgreSQL refuses to run as root, so under root it runs as the {@code postgres}
 * user (through {@code runuser}). Each {@link #newDatabase()} is a fresh database, so tests keep
 * apart on one server.
 *
 * <p>When the binaries are absent the calling test is skipped, unless
 * {@code GRAFT_REQUIRE_SERVICES=1} (CI), where it fails.
 */
public final class PostgresServer implements AutoCloseable {
  public static final String USER = "graft";
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
  private static final AtomicInteger DATABASES = new AtomicInteger();

  private final Path bin;
  private final Path home;
  private final int port;
  private final String password;
  private final boolean asPostgresUser;
  private Process process;

  private PostgresServer(Path bin) throws IOException, InterruptedException {
    this.bin = bin;
    this.asPostgresUser = "root".equals(System.getProperty("user.name"));
    this.home = Files.createTempDirectory(Path.of("/tmp"), "graft-pg-",
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
    this.password = HexFormat.of().formatHex(new SecureRandom().generateSeed(12));
    Path pwfile = home.resolve("pwfile");
    Files.writeString(pwfile, password + "\n", StandardCharsets.UTF_8);
    if (asPostgresUser) {
      run(List.of("chown", "-R", "postgres:postgres", home.toString()));
    }
    run(command(bin.resolve("initdb").toString(), "-D", home.resolve("data").toString(), "-U", USER,
        "--pwfile=" + pwfile, "--auth=scram-sha-256", "-E", "UTF8", "--no-sync", "--locale=C"));
    Files.deleteIfExists(pwfile);
    this.port = freePort();
    start();
  }

  /**
   * Starts a server, or skips the calling test when PostgreSQL is not installed (fails instead
   * when {@code GRAFT_REQUIRE_SERVICES=1}).
   */
  public static PostgresServer startOrSkip() throws IOException, InterruptedException {
    Optional<Path> bin = findBinaries();
    if (bin.isEmpty()) {
      String why = "PostgreSQL is not installed (apt-get install postgresql; looked in /usr/lib/postgresql/*/bin)";
      if ("1".equals(System.getenv("GRAFT_REQUIRE_SERVICES"))) {
        throw new IllegalStateException(why + " and GRAFT_REQUIRE_SERVICES=1");
      }
      Assumptions.abort(why);
    }
    return new PostgresServer(bin.get());
  }

  /** A fresh, empty database on this server. */
  public DatabaseUrl newDatabase() throws SQLException {
    String name = "graft_" + ProcessHandle.current().pid() + "_" + DATABASES.incrementAndGet();
    try (Connection c = connect("postgres"); Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + name);
    }
    return DatabaseUrl.parse("postgresql://" + USER + "@127.0.0.1:" + port + "/" + name);
  }

  /** A migrated {@link Database} on a fresh database. */
  public Database newStoreDatabase() throws SQLException {
    return Database.open(newDatabase(), Optional.of(password), 4, Duration.ofSeconds(3));
  }

  /** The password of {@link #USER}. */
  public String password() {
    return password;
  }

  public int port() {
    return port;
  }

  /** A plain JDBC connection to {@code database}, for checks a test makes behind the store's back. */
  public Connection connect(String database) throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", USER);
    p.setProperty("password", password);
    return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/" + database, p);
  }

  /** Stops the server at once (as a crash would: immediate shutdown); {@link #start()} brings it back. */
  public void stop() throws IOException, InterruptedException {
    if (process != null) {
      run(command(bin.resolve("pg_ctl").toString(), "-D", home.resolve("data").toString(), "-m", "immediate",
          "-w", "stop"));
      process.waitFor(30, TimeUnit.SECONDS);
      process = null;
    }
  }

  /** Starts the server (again) on the same port and data. */
  public void start() throws IOException, InterruptedException {
    Path log = home.resolve("postgres.log");
    ProcessBuilder pb = new ProcessBuilder(command(bin.resolve("postgres").toString(), "-D",
        home.resolve("data").toString(), "-p", Integer.toString(port), "-c", "listen_addresses=127.0.0.1",
        "-c", "unix_socket_directories=" + home, "-c", "fsync=off", "-c", "max_connections=200"))
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    process = pb.start();
    long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
    SQLException last = null;
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        break;
      }
      try (Connection c = connect("postgres")) {
        if (c.isValid(5)) {
          return;
        }
      } catch (SQLException e) {
        last = e;
        Thread.sleep(100);
      }
    }
    String tail = Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "(no log)";
    throw new IllegalStateException("PostgreSQL did not become ready (" + last + "); its log:\n"
        + tail.substring(Math.max(0, tail.length() - 4000)));
  }

  @Override
  public void close() throws IOException {
    try {
      stop();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      try (Stream<Path> walk = Files.walk(home)) {
        walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private List<String> command(String... args) {
    List<String> out = new ArrayList<>();
    if (asPostgresUser) {
      out.addAll(List.of("runuser", "-u", "postgres", "--"));
    }
    out.addAll(List.of(args));
    return out;
  }

  private void run(List<String> command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException(String.join(" ", command) + " failed: " + output);
    }
  }

  private static Optional<Path> findBinaries() throws IOException {
    Path root = Path.of("/usr/lib/postgresql");
    if (!Files.isDirectory(root)) {
      return Optional.empty();
    }
    try (Stream<Path> versions = Files.list(root)) {
      return versions.map(v -> v.resolve("bin"))
          .filter(b -> Files.isExecutable(b.resolve("initdb")) && Files.isExecutable(b.resolve("postgres")))
          .max(Comparator.comparing(Path::toString));
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
