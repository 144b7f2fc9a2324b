package dev.graft.server.security;

import io.grpc.ServerCredentials;
import io.grpc.TlsServerCredentials;
import io.grpc.util.AdvancedTlsX509KeyManager;
import io.grpc.util.AdvancedTlsX509TrustManager;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The listener's TLS: the server's certificate and key, and for mTLS the CA that client
 * certificates must chain to. The files are read now (a bad one stops start-up) and again every
 * {@code credentials-refresh-seconds} when they change, so certificates rotate without a restart:
 * new connections get the new ones. Close to stop watching.
 */
public final class ServerTls implements AutoCloseable {
  private final ServerCredentials credentials;
  private final List<Closeable> watches;

  private ServerTls(ServerCredentials credentials, List<Closeable> watches) {
    this.credentials = credentials;
    this.watches = watches;
  }

  /**
   * Reads the configured certificate files and starts watching them.
   *
   * @throws IllegalArgumentException naming the file that cannot be used and why
   */
  public static ServerTls open(SecuritySettings settings, ScheduledExecutorService timer) {
    Path cert = settings.tlsCert().orElseThrow(() -> new IllegalStateException("TLS is not configured"));
    Path key = settings.tlsKey().orElseThrow(() -> new IllegalStateException("tls-key is not configured"));
    long period = settings.credentialsRefresh().toMillis();
    List<Closeable> watches = new ArrayList<>();
    AdvancedTlsX509KeyManager keys = new AdvancedTlsX509KeyManager();
    try {
      watches.add(keys.updateIdentityCredentials(cert.toFile(), key.toFile(), period, TimeUnit.MILLISECONDS, timer));
    } catch (IOException | GeneralSecurityException | RuntimeException e) {
      throw new IllegalArgumentException("tls-cert " + cert + " / tls-key " + key + ": not a usable PEM certificate"
          + " chain and PKCS#8 private key: " + e.getMessage(), e);
    }
    TlsServerCredentials.Builder builder = TlsServerCredentials.newBuilder().keyManager(keys);
    if (settings.tlsClientCa().isPresent()) {
      Path ca = settings.tlsClientCa().get();
      try {
        AdvancedTlsX509TrustManager trust = AdvancedTlsX509TrustManager.newBuilder()
            .setVerification(AdvancedTlsX509TrustManager.Verification.CERTIFICATE_ONLY_VERIFICATION)
            .build();
        watches.add(trust.updateTrustCredentials(ca.toFile(), period, TimeUnit.MILLISECONDS, timer));
        builder.trustManager(trust).clientAuth(TlsServerCredentials.ClientAuth.REQUIRE);
      } catch (IOException | GeneralSecurityException | RuntimeException e) {
        watches.forEach(ServerTls::closeQuietly);
        throw new IllegalArgumentException("tls-client-ca " + ca + ": not a usable PEM CA bundle: " + e.getMessage(),
            e);
      }
    }
    return new ServerTls(builder.build(), watches);
  }

  /** The credentials to build the listener with. */
  public ServerCredentials credentials() {
    return credentials;
  }

  @Override
  public void close() {
    watches.forEach(ServerTls::closeQuietly);
  }

  private static void closeQuietly(Closeable c) {
    try {
      c.close();
    } catch (IOException e) {
      // stopping a file watch cannot fail in a way worth reporting
    }
  }
}
