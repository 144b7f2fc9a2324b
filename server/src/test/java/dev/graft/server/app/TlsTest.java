package dev.graft.server.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.client.GraftClient;
import dev.graft.client.GraftException;
import dev.graft.server.TestData;
import dev.graft.server.TestServer;
import dev.graft.server.security.TestCertificates;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.TlsChannelCredentials;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** TLS and mTLS on a real port, with certificates each test makes, and rotation without a restart. */
class TlsTest {
  @TempDir
  Path dir;

  @Test
  void tlsServesClientsThatTrustItsCaAndRefusesPlaintext() throws Exception {
    TestCertificates ca = TestCertificates.newCa(dir, "graft-test-ca");
    TestCertificates.Issued cert = ca.server("server-1");
    try (TestServer server = TestServer.onPort(dir.resolve("store"), "tls-cert", cert.certFile().toString(),
        "tls-key", cert.keyFile().toString())) {
      ManagedChannel channel = channel(server.port(), ca, null, new AtomicReference<>());
      try (GraftClient client = GraftClient.builder("tls").channel(channel).maxAttempts(1).build()) {
        assertEquals("test", client.serverInfo().getReplica());
      } finally {
        channel.shutdownNow();
      }
      GraftException plaintext = assertThrows(GraftException.class, () -> server.client().serverInfo());
      assertEquals(Status.Code.UNAVAILABLE, plaintext.code(), plaintext.getMessage());
    }
  }

  @Test
  void mtlsMapsCertificateSubjectsToPrincipalsAndRefusesEveryoneElse() throws Exception {
    TestCertificates ca = TestCertificates.newCa(dir, "graft-test-ca");
    TestCertificates.Issued serverCert = ca.server("server-1");
    TestCertificates.Issued alice = ca.client("alice", "CN=alice,O=Graft");
    TestCertificates.Issued mallory = ca.client("mallory", "CN=mallory,O=Graft");
    TestCertificates other = TestCertificates.newCa(Files.createDirectories(dir.resolve("other")), "other-ca");
    TestCertificates.Issued stranger = other.client("stranger", "CN=alice,O=Graft");
    Path tokens = Files.writeString(dir.resolve("tokens"), "alice trainer subject=CN=alice, O=Graft\n");
    try (TestServer server = TestServer.onPort(dir.resolve("store"), "tls-cert", serverCert.certFile().toString(),
        "tls-key", serverCert.keyFile().toString(), "tls-client-ca", ca.ca().certFile().toString(),
        "auth-tokens-file", tokens.toString())) {
      try (Client c = new Client(server.port(), ca, alice)) {
        assertEquals("alice", c.graft.uploadExamples("mtls-data", "nlp", TestData.tinySentiment()).getCreatedBy());
      }
      try (Client c = new Client(server.port(), ca, mallory)) {
        GraftException e = assertThrows(GraftException.class, () -> c.graft.listModels());
        assertEquals(Status.Code.UNAUTHENTICATED, e.code());
        assertEquals("UNKNOWN_CLIENT_CERTIFICATE", e.reason());
      }
      for (TestCertificates.Issued refused : new TestCertificates.Issued[] {null, stranger}) {
        try (Client c = new Client(server.port(), ca, refused)) {
          GraftException e = assertThrows(GraftException.class, () -> c.graft.listModels());
          assertEquals(Status.Code.UNAVAILABLE, e.code(), "the handshake fails: " + e.getMessage());
        }
      }
    }
  }

  @Test
  void aRotatedServerCertificateIsServedWithoutARestart() throws Exception {
    TestCertificates ca = TestCertificates.newCa(dir, "graft-test-ca");
    TestCertificates.Issued first = ca.server("server-1");
    Path certFile = Files.copy(first.certFile(), dir.resolve("live.pem"));
    Path keyFile = Files.copy(first.keyFile(), dir.resolve("live.key"));
    try (TestServer server = TestServer.onPort(dir.resolve("store"), "tls-cert", certFile.toString(),
        "tls-key", keyFile.toString(), "credentials-refresh-seconds", "1")) {
      assertEquals("CN=server-1", presentedSubject(server.port(), ca));
      TestCertificates.Issued second = ca.server("server-2");
      // The way an operator (or a Kubernetes Secret) swaps files: new ones moved into place.
      Files.copy(second.keyFile(), dir.resolve("live.key.new"));
      Files.copy(second.certFile(), dir.resolve("live.pem.new"));
      Files.move(dir.resolve("live.key.new"), keyFile, StandardCopyOption.REPLACE_EXISTING,
          StandardCopyOption.ATOMIC_MOVE);
      Files.move(dir.resolve("live.pem.new"), certFile, StandardCopyOption.REPLACE_EXISTING,
          StandardCopyOption.ATOMIC_MOVE);
      long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
      String subject = presentedSubject(server.port(), ca);
      while (!subject.equals("CN=server-2") && System.nanoTime() < deadline) {
        Thread.sleep(250);
        subject = presentedSubject(server.port(), ca);
      }
      assertEquals("CN=server-2", subject);
    }
  }

  @Test
  void anUnusableCertificateStopsStartUpNamingTheFile() throws Exception {
    Path cert = Files.writeString(dir.resolve("broken.pem"), "-----BEGIN CERTIFICATE-----\nnot base64\n");
    Path key = Files.writeString(dir.resolve("broken.key"), "nothing");
    GraftServer server = ServerComponent.create(TestServer.config(dir.resolve("store"), "tls-cert", cert.toString(),
        "tls-key", key.toString())).server();
    ConfigException e = assertThrows(ConfigException.class, server::start);
    assertTrue(e.getMessage().contains("broken.pem"), e.getMessage());
  }

  private static String presentedSubject(int port, TestCertificates ca) throws Exception {
    AtomicReference<X509Certificate> seen = new AtomicReference<>();
    ManagedChannel channel = channel(port, ca, null, seen);
    try (GraftClient client = GraftClient.builder("tls").channel(channel).maxAttempts(1).build()) {
      client.serverInfo();
      return seen.get().getSubjectX500Principal().getName();
    } finally {
      channel.shutdownNow();
    }
  }

  /** A TLS channel trusting {@code ca}, presenting {@code clientCert} if given, recording the server's certificate. */
  private static ManagedChannel channel(int port, TestCertificates ca, TestCertificates.Issued clientCert,
      AtomicReference<X509Certificate> seen) throws Exception {
    TlsChannelCredentials.Builder creds = TlsChannelCredentials.newBuilder()
        .trustManager(new Recording(ca.ca().certificate(), seen));
    if (clientCert != null) {
      creds.keyManager(clientCert.certFile().toFile(), clientCert.keyFile().toFile());
    }
    ChannelCredentials built = creds.build();
    return Grpc.newChannelBuilderForAddress("localhost", port, built).build();
  }

  /** A client with its own channel, closed together. */
  private static final class Client implements AutoCloseable {
    final ManagedChannel channel;
    final GraftClient graft;

    Client(int port, TestCertificates ca, TestCertificates.Issued cert) throws Exception {
      channel = channel(port, ca, cert, new AtomicReference<>());
      graft = GraftClient.builder("mtls").channel(channel).maxAttempts(1).build();
    }

    @Override
    public void close() {
      graft.close();
      channel.shutdownNow();
    }
  }

  /** Trusts one CA and remembers the leaf certificate the server presented. */
  private static final class Recording extends X509ExtendedTrustManager {
    private final X509ExtendedTrustManager delegate;
    private final AtomicReference<X509Certificate> seen;

    Recording(X509Certificate ca, AtomicReference<X509Certificate> seen) throws Exception {
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      store.setCertificateEntry("ca", ca);
      TrustManagerFactory f = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      f.init(store);
      this.delegate = (X509ExtendedTrustManager) f.getTrustManagers()[0];
      this.seen = seen;
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      delegate.checkServerTrusted(chain, authType, engine);
      seen.set(chain[0]);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      delegate.checkServerTrusted(chain, authType, socket);
      seen.set(chain[0]);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      delegate.checkServerTrusted(chain, authType);
      seen.set(chain[0]);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      throw new CertificateException("client side only");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      throw new CertificateException("client side only");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      throw new CertificateException("client side only");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return delegate.getAcceptedIssuers();
    }
  }

  @Test
  void theHttpListenerSpeaksTlsWithTheSameCertificatesAndMapsClientCertificates() throws Exception {
    TestCertificates ca = TestCertificates.newCa(dir, "graft-test-ca");
    TestCertificates.Issued serverCert = ca.server("server-1");
    TestCertificates.Issued alice = ca.client("alice", "CN=alice,O=Graft");
    Path tokens = Files.writeString(dir.resolve("tokens"), "alice reader subject=CN=alice, O=Graft\n");
    try (TestServer server = TestServer.onPort(dir.resolve("store"), "tls-cert", serverCert.certFile().toString(),
        "tls-key", serverCert.keyFile().toString(), "tls-client-ca", ca.ca().certFile().toString(),
        "auth-tokens-file", tokens.toString())) {
      java.net.URI base = java.net.URI.create("https://localhost:" + server.httpPort());
      java.net.http.HttpClient withCert = https(ca, alice);
      java.net.http.HttpClient anonymous = https(ca, null);
      assertEquals(200, get(withCert, base.resolve("/metrics")).statusCode(), "alice's certificate is a reader");
      assertEquals(401, get(anonymous, base.resolve("/metrics")).statusCode(), "no certificate, no token");
      assertEquals(200, get(anonymous, base.resolve("/readyz")).statusCode(), "probes need no certificate");
      assertThrows(java.io.IOException.class, () -> get(java.net.http.HttpClient.newHttpClient(),
          java.net.URI.create("http://localhost:" + server.httpPort() + "/healthz")), "no plaintext on the TLS port");
    }
  }

  private static java.net.http.HttpResponse<String> get(java.net.http.HttpClient client, java.net.URI uri)
      throws Exception {
    return client.send(java.net.http.HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(20)).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString());
  }

  /** An HTTPS client trusting {@code ca}, presenting {@code identity} when given. */
  private static java.net.http.HttpClient https(TestCertificates ca, TestCertificates.Issued identity) throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("ca", ca.ca().certificate());
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    javax.net.ssl.KeyManager[] keys = null;
    if (identity != null) {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      ks.setKeyEntry("me", identity.key(), new char[0], new X509Certificate[] {identity.certificate()});
      javax.net.ssl.KeyManagerFactory kmf =
          javax.net.ssl.KeyManagerFactory.getInstance(javax.net.ssl.KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(ks, new char[0]);
      keys = kmf.getKeyManagers();
    }
    javax.net.ssl.SSLContext context = javax.net.ssl.SSLContext.getInstance("TLS");
    context.init(keys, tmf.getTrustManagers(), null);
    return java.net.http.HttpClient.newBuilder().sslContext(context).build();
  }
}
