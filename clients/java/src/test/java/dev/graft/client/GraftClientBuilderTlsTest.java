package dev.graft.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.graft.api.v1.GetServerInfoRequest;
import dev.graft.api.v1.ServerInfo;
import dev.graft.api.v1.ServerServiceGrpc;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.TlsChannelCredentials;
import io.grpc.TlsServerCredentials;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The builder's TLS options against a real Netty server that requires client certificates
 * (mutual TLS). The certificates are made with the openssl command (the test is skipped without it).
 */
class GraftClientBuilderTlsTest {
  @TempDir static Path dir;
  static Server server;
  static final List<String> seen = new CopyOnWriteArrayList<>();

  static void openssl(String... args) throws IOException, InterruptedException {
    List<String> command = new java.util.ArrayList<>(List.of("openssl"));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (p.waitFor() != 0) {
      throw new IOException("openssl " + String.join(" ", args) + ": " + out);
    }
  }

  static boolean hasOpenssl() {
    try {
      return new ProcessBuilder("openssl", "version").start().waitFor() == 0;
    } catch (IOException | InterruptedException e) {
      return false;
    }
  }

  @BeforeAll
  static void start() throws Exception {
    assumeTrue(hasOpenssl(), "needs the openssl command");
    String[] ec = {"-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:prime256v1"};
    for (String ca : List.of("ca", "other-ca")) {
      openssl(concat(new String[] {"genpkey"}, ec, new String[] {"-out", ca + ".key"}));
      openssl("req", "-x509", "-new", "-key", ca + ".key", "-out", ca + ".pem", "-days", "1", "-subj", "/CN=" + ca);
    }
    String[][] leaves = {
        {"server", "/CN=localhost", "subjectAltName=DNS:localhost,IP:127.0.0.1", "ca"},
        {"client", "/CN=client-1", "extendedKeyUsage=clientAuth", "ca"},
        {"intruder", "/CN=intruder", "extendedKeyUsage=clientAuth", "other-ca"}};
    for (String[] l : leaves) {
      openssl(concat(new String[] {"genpkey"}, ec, new String[] {"-out", l[0] + ".key"}));
      openssl("req", "-new", "-key", l[0] + ".key", "-out", l[0] + ".csr", "-subj", l[1]);
      Files.writeString(dir.resolve(l[0] + ".ext"), l[2] + "\n");
      openssl("x509", "-req", "-in", l[0] + ".csr", "-CA", l[3] + ".pem", "-CAkey", l[3] + ".key", "-CAcreateserial",
          "-out", l[0] + ".pem", "-days", "1", "-extfile", l[0] + ".ext");
    }
    // The same client key as PKCS#1-style SEC 1 ("EC PRIVATE KEY"), which the builder must refuse.
    openssl("ec", "-in", "client.key", "-out", "client-sec1.key");

    ServerInterceptor record = new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
          ServerCallHandler<Q, R> next) {
        SSLSession session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
        String peer;
        try {
          peer = session == null ? "no TLS" : session.getPeerPrincipal().getName();
        } catch (javax.net.ssl.SSLPeerUnverifiedException e) {
          peer = "no client certificate";
        }
        seen.add(peer + "|" + headers.get(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER)));
        return next.startCall(call, headers);
      }
    };
    ServerServiceGrpc.ServerServiceImplBase info = new ServerServiceGrpc.ServerServiceImplBase() {
      @Override
      public void getServerInfo(GetServerInfoRequest request, StreamObserver<ServerInfo> response) {
        response.onNext(ServerInfo.newBuilder().setVersion("mtls").build());
        response.onCompleted();
      }
    };
    server = Grpc.newServerBuilderForPort(0, TlsServerCredentials.newBuilder()
            .keyManager(file("server.pem"), file("server.key"))
            .trustManager(file("ca.pem"))
            .clientAuth(TlsServerCredentials.ClientAuth.REQUIRE)
            .build())
        .addService(ServerInterceptors.intercept(info, record))
        .build()
        .start();
  }

  @AfterAll
  static void stop() throws InterruptedException {
    if (server != null) {
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  static java.io.File file(String name) {
    return dir.resolve(name).toFile();
  }

  static Path path(String name) {
    return dir.resolve(name);
  }

  static String[] concat(String[]... parts) {
    return java.util.Arrays.stream(parts).flatMap(java.util.Arrays::stream).toArray(String[]::new);
  }

  GraftClientBuilder builder() {
    return GraftClient.builder("localhost:" + server.getPort()).deadline(Duration.ofSeconds(10)).maxAttempts(1);
  }

  @Test
  void mutualTlsPresentsTheClientCertificateAndTheToken() throws Exception {
    seen.clear();
    try (GraftClient client = builder().tls(path("ca.pem"))
        .clientCertificate(path("client.pem"), path("client.key")).bearerToken("tok").build()) {
      assertEquals("mtls", client.serverInfo().getVersion());
    }
    assertEquals(List.of("CN=client-1|Bearer tok"), seen);
    // The same from PEM bytes, in the other order (a client certificate turns TLS on by itself).
    try (GraftClient client = builder()
        .clientCertificate(Files.readAllBytes(path("client.pem")), Files.readAllBytes(path("client.key")))
        .tls(Files.readAllBytes(path("ca.pem"))).build()) {
      assertEquals("mtls", client.serverInfo().getVersion());
    }
  }

  @Test
  void theServerRefusesAClientWithoutAnAcceptedCertificate() throws Exception {
    seen.clear();
    for (GraftClientBuilder b : List.of(
        builder().tls(path("ca.pem")),
        builder().tls(path("ca.pem")).clientCertificate(path("intruder.pem"), path("intruder.key")),
        builder().tls(path("other-ca.pem")).clientCertificate(path("client.pem"), path("client.key")))) {
      try (GraftClient client = b.build()) {
        GraftException e = assertThrows(GraftException.class, client::serverInfo);
        assertEquals(Status.Code.UNAVAILABLE, e.code(), e.getMessage());
      }
    }
    assertEquals(List.of(), seen, "no call may reach the service");
  }

  @Test
  void credentialsFollowTheOptions() throws Exception {
    assertTrue(GraftClient.builder("x:1").credentials() instanceof InsecureChannelCredentials);
    var tls = (TlsChannelCredentials) GraftClient.builder("x:1").tls(path("ca.pem"))
        .clientCertificate(path("client.pem"), path("client.key")).credentials();
    assertEquals(Files.readString(path("ca.pem")), new String(tls.getRootCertificates()));
    assertEquals(Files.readString(path("client.pem")), new String(tls.getCertificateChain()));
    assertEquals(Files.readString(path("client.key")), new String(tls.getPrivateKey()));
    var system = (TlsChannelCredentials) GraftClient.builder("x:1").tls().credentials();
    assertEquals(null, system.getRootCertificates());
    assertEquals(null, system.getCertificateChain());
  }

  @Test
  void badMaterialFailsInTheBuilderWithAClearMessage() {
    GraftClientBuilder b = GraftClient.builder("x:1");
    var e = assertThrows(IllegalArgumentException.class, () -> b.tls(path("client.key")));
    assertTrue(e.getMessage().contains("trusted certificates: no PEM certificate"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> b.clientCertificate(path("client.pem"), path("client-sec1.key")));
    assertTrue(e.getMessage().contains("EC PRIVATE KEY, not unencrypted PKCS#8") && e.getMessage().contains("openssl pkcs8"),
        e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> b.clientCertificate(path("client.pem"), path("intruder.key")));
    assertTrue(e.getMessage().contains("does not belong to the client certificate CN=client-1"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> b.clientCertificate(path("client.key"), path("client.key")));
    assertTrue(e.getMessage().contains("client certificate: no PEM certificate"), e.getMessage());
    var missing = assertThrows(NoSuchFileException.class, () -> b.clientCertificate(path("nope.pem"), path("client.key")));
    assertTrue(missing.getMessage().contains("the client certificate: no such file"), missing.getMessage());
  }
}
