package dev.graft.server.core.store.sql;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Objects;

/**
 * Where the shared store's database is: {@code postgresql://[user@]host[:port]/database[?options]},
 * as the {@code store} setting names it. A password never appears here (settings may come from a
 * command line, which other users of the host can read): it comes from the environment or a file,
 * see {@link DatabaseCredentials}.
 *
 * @param jdbcUrl the JDBC URL, {@code jdbc:postgresql://host:port/database[?options]}
 * @param user the user, "" for the driver's default
 * @param display the URL without options, for logs and GetServerInfo
 */
public record DatabaseUrl(String jdbcUrl, String user, String display) {
  /** The scheme of a {@code store} setting that names a database. */
  public static final String SCHEME = "postgresql";

  public DatabaseUrl {
    Objects.requireNonNull(jdbcUrl, "jdbcUrl");
    Objects.requireNonNull(user, "user");
    Objects.requireNonNull(display, "display");
  }

  /** Whether a {@code store} setting names a database rather than a folder. */
  public static boolean isDatabase(String store) {
    return store != null && store.startsWith(SCHEME + "://");
  }

  /**
   * Parses a {@code postgresql://} URL.
   *
   * @throws IllegalArgumentException naming what is wrong: not a postgresql URL, no host or
   *     database, or a password in the URL
   */
  public static DatabaseUrl parse(String text) {
    if (!isDatabase(text)) {
      throw new IllegalArgumentException("'" + text + "' is not a postgresql://host[:port]/database URL");
    }
    URI uri;
    try {
      uri = new URI(text);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("'" + redact(text) + "' is not a valid URL: " + e.getReason(), e);
    }
    String user = "";
    if (uri.getRawUserInfo() != null) {
      if (uri.getRawUserInfo().contains(":")) {
        throw new IllegalArgumentException("the store URL must not hold a password (a command line is readable by"
            + " other users of the host): set GRAFT_STORE_PASSWORD or store-password-file instead");
      }
      user = uri.getUserInfo();
    }
    String host = uri.getHost();
    String path = uri.getPath();
    if (host == null || host.isEmpty()) {
      throw new IllegalArgumentException("the store URL '" + redact(text) + "' names no host");
    }
    if (path == null || path.length() < 2 || path.indexOf('/', 1) >= 0) {
      throw new IllegalArgumentException("the store URL '" + redact(text) + "' must name one database: "
          + SCHEME + "://host[:port]/database");
    }
    int port = uri.getPort() > 0 ? uri.getPort() : 5432;
    String base = "//" + host + ":" + port + path;
    String query = uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery();
    String display = SCHEME + "://" + (user.isEmpty() ? "" : user + "@") + host + ":" + port + path;
    return new DatabaseUrl("jdbc:postgresql:" + base + query, user, display);
  }

  private static String redact(String text) {
    return text.replaceAll("//[^@/]*@", "//…@");
  }

  @Override
  public String toString() {
    return display;
  }
}
