package dev.graft.server.core.store.sql;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * The database password, from the environment ({@code GRAFT_STORE_PASSWORD}) or a file
 * ({@code store-password-file}; the file wins, it is re-read at each start). Never from the
 * command line. Empty when neither is set (trust or peer authentication, or a password in the
 * driver's {@code .pgpass}).
 */
public final class DatabaseCredentials {
  /** The environment variable holding the password. */
  public static final String PASSWORD_ENV = "GRAFT_STORE_PASSWORD";

  private DatabaseCredentials() {}

  /**
   * The password.
   *
   * @param passwordFile the {@code store-password-file} setting, or null
   * @throws IOException when the file cannot be read
   */
  public static Optional<String> password(Path passwordFile, Map<String, String> env) throws IOException {
    if (passwordFile != null) {
      String text = Files.readString(passwordFile, StandardCharsets.UTF_8).strip();
      return text.isEmpty() ? Optional.empty() : Optional.of(text);
    }
    String fromEnv = env.get(PASSWORD_ENV);
    return fromEnv == null || fromEnv.isEmpty() ? Optional.empty() : Optional.of(fromEnv);
  }
}
