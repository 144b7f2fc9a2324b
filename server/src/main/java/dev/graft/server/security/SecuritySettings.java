package dev.graft.server.security;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * Who may reach the server and how they prove who they are.
 *
 * @param address the interface to bind ({@code address}); empty = loopback when no
 *     authentication is configured, every interface otherwise
 * @param insecureNoAuth whether a non-loopback address may be served without authentication
 * @param tlsCert the server's PEM certificate chain; with {@code tlsKey} turns TLS on
 * @param tlsKey the server's PEM (PKCS#8) private key
 * @param tlsClientCa PEM CA certificates that client certificates must chain to; present = mTLS
 *     required
 * @param credentialsRefresh how often certificate and token files are checked for changes
 * @param tokensFile the tokens file ({@code NAME ROLE SHA256} lines), if any
 * @param adminToken the single legacy admin token ({@code auth-token}); empty = none
 * @param allowCodeImports whether admins may import formats that carry code (TorchScript)
 * @param rateLimitPerSecond calls per second one authenticated principal may make on average;
 *     0 = no limit
 * @param rateLimitBurst how many calls a principal may make at once before the average applies
 */
public record SecuritySettings(
    String address,
    boolean insecureNoAuth,
    Optional<Path> tlsCert,
    Optional<Path> tlsKey,
    Optional<Path> tlsClientCa,
    Duration credentialsRefresh,
    Optional<Path> tokensFile,
    String adminToken,
    boolean allowCodeImports,
    int rateLimitPerSecond,
    int rateLimitBurst) {

  /** Whether callers must authenticate (a tokens file or the admin token). */
  public boolean authEnabled() {
    return tokensFile.isPresent() || !adminToken.isEmpty();
  }

  /** Whether the listener speaks TLS. */
  public boolean tlsEnabled() {
    return tlsCert.isPresent();
  }

  @Override
  public String toString() {
    // The admin token never reaches a log line.
    return "SecuritySettings[address=" + address + ", insecureNoAuth=" + insecureNoAuth + ", tls=" + tlsEnabled()
        + ", mtls=" + tlsClientCa.isPresent() + ", tokensFile=" + tokensFile.map(Path::toString).orElse("")
        + ", adminToken=" + (adminToken.isEmpty() ? "none" : "set") + ", allowCodeImports=" + allowCodeImports
        + "]";
  }
}
