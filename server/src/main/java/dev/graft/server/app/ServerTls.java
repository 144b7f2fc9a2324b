package dev.graft.server.app;

import dev.graft.server.security.FileWatch;
import dev.graft.server.security.SecuritySettings;
import io.grpc.ServerCredentials;
import io.grpc.TlsServerCredentials;
import io.grpc.util.AdvancedTlsX509KeyManager;
import io.grpc.util.AdvancedTlsX509TrustManager;
import io.grpc.util.CertificateUtils;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;

/**
 * The listener's TLS: the server's certificate and key, and for mTLS the CA that client
 * certificates must chain to. The files are read now (a bad one stops start-up) and again whenever
 * they change (checked every {@code credentials-refresh-seconds}), so certificates rotate without a
 * restart: new connections get the new ones. The HTTP listener uses the same managers
 * ({@link #sslContext()}). Close to stop watching.
 */
final class ServerTls implements AutoCloseable {
  private final ServerCredentials credentials;
  private final SSLContext sslContext;
  private final boolean clientCertificates;
  private final List<FileWatch> watches;

  private ServerTls(ServerCredentials credentials, SSLContext sslContext, boolean clientCertificates,
      List<FileWatch> watches) {
    this.credentials = credentials;
    this.sslContext = sslContext;
    this.clientCertificates = clientCertificates;
    this.watches = watches;
  }

  /**
   * Reads the configured certificate files and starts watching them.
   *
   * @throws IllegalArgumentException naming the file that cannot be used and why
   */
  static ServerTls open(SecuritySettings settings, ScheduledExecutorService timer) {
    Path cert = settings.tlsCert().orElseThrow(() -> new IllegalStateException("tls-cert is not configured"));
    Path key = settings.tlsKey().orElseThrow(() -> new IllegalStateException("tls-key is not configured"));
    List<FileWatch> watches = new ArrayList<>();
    AdvancedTlsX509KeyManager keys = new AdvancedTlsX509KeyManager();
    FileWatch.Reload identity = () -> keys.updateIdentityCredentials(certificates(cert, "tls-cert"), privateKey(key));
    identity.run();
    watches.add(FileWatch.start(List.of(cert, key), "tls-cert/tls-key", identity, settings.credentialsRefresh(),
        timer));
    TlsServerCredentials.Builder builder = TlsServerCredentials.newBuilder().keyManager(keys);
    AdvancedTlsX509TrustManager clientTrust = null;
    if (settings.tlsClientCa().isPresent()) {
      Path ca = settings.tlsClientCa().get();
      AdvancedTlsX509TrustManager trust;
      try {
        trust = AdvancedTlsX509TrustManager.newBuilder()
            .setVerification(AdvancedTlsX509TrustManager.Verification.CERTIFICATE_ONLY_VERIFICATION)
            .build();
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("the JDK has no X.509 trust manager", e);
      }
      FileWatch.Reload authorities = () -> {
        try {
          trust.updateTrustCredentials(certificates(ca, "tls-client-ca"));
        } catch (IOException | GeneralSecurityException e) {
          throw new IllegalArgumentException("tls-client-ca " + ca + ": " + e.getMessage(), e);
        }
      };
      authorities.run();
      watches.add(FileWatch.start(List.of(ca), "tls-client-ca", authorities, settings.credentialsRefresh(), timer));
      builder.trustManager(trust).clientAuth(TlsServerCredentials.ClientAuth.REQUIRE);
      clientTrust = trust;
    }
    SSLContext context;
    try {
      context = SSLContext.getInstance("TLS");
      context.init(new KeyManager[] {keys}, clientTrust == null ? null : new TrustManager[] {clientTrust}, null);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK has no TLS", e);
    }
    return new ServerTls(builder.build(), context, clientTrust != null, watches);
  }

  /**
   * The same (rotating) key and trust managers as a JDK context, for the HTTP listener; client
   * certificates verify against the client CA when {@link #clientCertificates()}.
   */
  SSLContext sslContext() {
    return sslContext;
  }

  /** Whether mTLS is configured. */
  boolean clientCertificates() {
    return clientCertificates;
  }

  /** The credentials to build the listener with. */
  public ServerCredentials credentials() {
    return credentials;
  }

  @Override
  public void close() {
    watches.forEach(FileWatch::close);
  }

  private static X509Certificate[] certificates(Path file, String key) {
    try (InputStream in = Files.newInputStream(file)) {
      X509Certificate[] certs = CertificateUtils.getX509Certificates(in);
      if (certs.length == 0) {
        throw new IllegalArgumentException(key + " " + file + ": no PEM certificate in it");
      }
      return certs;
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalArgumentException(key + " " + file + ": not a PEM certificate file: " + e.getMessage(), e);
    }
  }

  private static PrivateKey privateKey(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      return CertificateUtils.getPrivateKey(in);
    } catch (IOException | GeneralSecurityException | RuntimeException e) {
      throw new IllegalArgumentException("tls-key " + file + ": not a PEM PKCS#8 private key (BEGIN PRIVATE KEY): "
          + e.getMessage(), e);
    }
  }
}
