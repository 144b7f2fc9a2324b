package dev.graft.client;

import io.grpc.ChannelCredentials;
import io.grpc.ClientInterceptor;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.TlsChannelCredentials;
import io.grpc.stub.MetadataUtils;
import java.io.ByteArrayInputStream;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Builds a {@link GraftClient}: target ("localhost:50051", "dns:///graft:50051"), plaintext or TLS
 * (system roots or a CA of your own, and a client certificate for mutual TLS), an optional
 * bearer token, a default deadline, and retries of UNAVAILABLE on idempotent calls. When the
 * OpenTelemetry API is on the classpath, every call carries the caller's trace context
 * ({@code traceparent}); see {@link #openTelemetry}.
 */
public final class GraftClientBuilder {
  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private final String target;
  private ManagedChannel channel;
  private boolean tls;
  private byte[] trustedPem; // null: the system's roots
  private byte[] certificatePem; // with keyPem: mutual TLS
  private byte[] keyPem;
  private String token = "";
  private Duration deadline = Duration.ofSeconds(60);
  private int maxAttempts = 4;
  private Object openTelemetry; // an io.opentelemetry.api.OpenTelemetry; null: W3C Trace Context

  GraftClientBuilder(String target) {
    this.target = target;
  }

  /** Uses TLS, trusting the system's roots (unless {@link #tls(byte[])} names a CA). */
  public GraftClientBuilder tls() {
    this.tls = true;
    return this;
  }

  /** Uses TLS, trusting only the CA certificates in a PEM file (instead of the system's roots). */
  public GraftClientBuilder tls(File trustedCertificates) throws IOException {
    return tls(trustedCertificates.toPath());
  }

  /** Uses TLS, trusting only the CA certificates in a PEM file (instead of the system's roots). */
  public GraftClientBuilder tls(Path trustedCertificates) throws IOException {
    return tls(read(trustedCertificates, "the trusted certificates"));
  }

  /**
   * Uses TLS, trusting only these CA certificates (PEM bytes, one or more) instead of the
   * system's roots.
   *
   * @throws IllegalArgumentException when they hold no PEM certificate
   */
  public GraftClientBuilder tls(byte[] trustedCertificatesPem) {
    Pem.certificates(trustedCertificatesPem, "the trusted certificates");
    this.tls = true;
    this.trustedPem = trustedCertificatesPem.clone();
    return this;
  }

  /**
   * Presents a client certificate (mutual TLS): the certificate chain (leaf first) and its
   * private key, PEM files; the key must be PKCS#8 ({@code -----BEGIN PRIVATE KEY-----}). Turns
   * TLS on (system roots unless {@link #tls(Path)} names a CA).
   */
  public GraftClientBuilder clientCertificate(Path certificateChainPem, Path privateKeyPem) throws IOException {
    return clientCertificate(read(certificateChainPem, "the client certificate"), read(privateKeyPem, "the private key"));
  }

  /** {@link #clientCertificate(Path, Path)} with {@link File}s. */
  public GraftClientBuilder clientCertificate(File certificateChainPem, File privateKeyPem) throws IOException {
    return clientCertificate(certificateChainPem.toPath(), privateKeyPem.toPath());
  }

  /**
   * Presents a client certificate (mutual TLS) given as PEM bytes: the chain (leaf first) and its
   * PKCS#8 private key. Turns TLS on.
   *
   * @throws IllegalArgumentException when the chain holds no certificate, the key is not an
   *     unencrypted PKCS#8 PEM key, or the key does not belong to the first certificate
   */
  public GraftClientBuilder clientCertificate(byte[] certificateChainPem, byte[] privateKeyPem) {
    Pem.checkKeyPair(certificateChainPem, privateKeyPem);
    this.tls = true;
    this.certificatePem = certificateChainPem.clone();
    this.keyPem = privateKeyPem.clone();
    return this;
  }

  /** Sends {@code authorization: Bearer <token>} on every call. */
  public GraftClientBuilder bearerToken(String token) {
    this.token = token;
    return this;
  }

  /** The deadline of each unary call (default 60 s). */
  public GraftClientBuilder deadline(Duration deadline) {
    this.deadline = deadline;
    return this;
  }

  /** How many times an idempotent call is tried on UNAVAILABLE (default 4; 1 = no retry). */
  public GraftClientBuilder maxAttempts(int attempts) {
    this.maxAttempts = attempts;
    return this;
  }

  /**
   * Propagates the trace context with this instance's propagators (e.g. your SDK's, or {@code
   * GlobalOpenTelemetry.get()}, to send baggage or another format too); {@code
   * OpenTelemetry.noop()} sends nothing. Without this call, and when the OpenTelemetry API is on
   * the classpath, every call carries W3C Trace Context ({@code traceparent}, {@code tracestate})
   * taken from {@code Context.current()} when the call starts — no SDK or global registration
   * needed — and nothing when no valid span is current. Without the API on the classpath the
   * client propagates nothing.
   */
  public GraftClientBuilder openTelemetry(io.opentelemetry.api.OpenTelemetry openTelemetry) {
    if (openTelemetry == null) {
      throw new IllegalArgumentException("openTelemetry: null (use OpenTelemetry.noop() to send no trace context)");
    }
    this.openTelemetry = openTelemetry;
    return this;
  }

  /** Uses a channel the caller made (e.g. in-process for tests); the client will not close it. */
  public GraftClientBuilder channel(ManagedChannel channel) {
    this.channel = channel;
    return this;
  }

  public GraftClient build() {
    ManagedChannel owned = null;
    ManagedChannel base = channel;
    if (base == null) {
      ManagedChannelBuilder<?> b = Grpc.newChannelBuilder(target, credentials());
      if (maxAttempts > 1) {
        b.defaultServiceConfig(retryConfig()).enableRetry();
      }
      owned = b.build();
      base = owned;
    }
    List<ClientInterceptor> interceptors = new ArrayList<>();
    if (Tracing.AVAILABLE) {
      interceptors.add(TraceContextInterceptor.create(openTelemetry));
    }
    if (!token.isEmpty()) {
      Metadata headers = new Metadata();
      headers.put(AUTHORIZATION, "Bearer " + token);
      interceptors.add(MetadataUtils.newAttachHeadersInterceptor(headers));
    }
    return new GraftClient(owned, GraftClient.intercepted(base, interceptors), deadline);
  }

  /** Plaintext, or TLS with the trusted CA and the client certificate given. */
  ChannelCredentials credentials() {
    if (!tls) {
      return InsecureChannelCredentials.create();
    }
    TlsChannelCredentials.Builder b = TlsChannelCredentials.newBuilder();
    try {
      if (trustedPem != null) {
        b.trustManager(new ByteArrayInputStream(trustedPem));
      }
      if (certificatePem != null) {
        b.keyManager(new ByteArrayInputStream(certificatePem), new ByteArrayInputStream(keyPem));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e); // reading a byte array does not fail
    }
    return b.build();
  }

  private static byte[] read(Path file, String what) throws IOException {
    try {
      return Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new NoSuchFileException(file.toString(), null, what + ": no such file");
    }
  }

  /** Retries UNAVAILABLE on the calls that are safe to repeat. */
  private Map<String, Object> retryConfig() {
    List<Object> names = new ArrayList<>();
    for (String[] m : new String[][] {
        {"graft.v1.InferenceService", "Extract"}, {"graft.v1.InferenceService", "Predict"},
        {"graft.v1.ModelService", "GetModel"}, {"graft.v1.ModelService", "ListModels"},
        {"graft.v1.DatasetService", "GetDataset"}, {"graft.v1.DatasetService", "ListDatasets"},
        {"graft.v1.TrainingService", "GetJob"}, {"graft.v1.TrainingService", "ListJobs"},
        {"graft.v1.TrainingService", "WatchJob"}, {"graft.v1.TrainingService", "CancelJob"},
        {"graft.v1.ServerService", "GetServerInfo"}}) {
      names.add(Map.of("service", m[0], "method", m[1]));
    }
    Map<String, Object> retry = Map.of(
        "maxAttempts", (double) maxAttempts,
        "initialBackoff", "0.1s",
        "maxBackoff", "2s",
        "backoffMultiplier", 2.0,
        "retryableStatusCodes", List.of("UNAVAILABLE"));
    return Map.of("methodConfig", List.of(Map.of("name", names, "retryPolicy", retry)));
  }
}
