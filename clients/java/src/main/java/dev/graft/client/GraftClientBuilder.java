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
import java.io.File;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Builds a {@link GraftClient}: target ("localhost:50051", "dns:///graft:50051"), plaintext or TLS,
 * an optional bearer token, a default deadline, and retries of UNAVAILABLE on idempotent calls.
 */
public final class GraftClientBuilder {
  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private final String target;
  private ManagedChannel channel;
  private ChannelCredentials credentials = InsecureChannelCredentials.create();
  private String token = "";
  private Duration deadline = Duration.ofSeconds(60);
  private int maxAttempts = 4;

  GraftClientBuilder(String target) {
    this.target = target;
  }

  /** Uses TLS, trusting the system's roots. */
  public GraftClientBuilder tls() {
    this.credentials = TlsChannelCredentials.create();
    return this;
  }

  /** Uses TLS, trusting the CA certificates in a PEM file. */
  public GraftClientBuilder tls(File trustedCertificates) throws IOException {
    this.credentials = TlsChannelCredentials.newBuilder().trustManager(trustedCertificates).build();
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

  /** Uses a channel the caller made (e.g. in-process for tests); the client will not close it. */
  public GraftClientBuilder channel(ManagedChannel channel) {
    this.channel = channel;
    return this;
  }

  public GraftClient build() {
    ManagedChannel owned = null;
    ManagedChannel base = channel;
    if (base == null) {
      ManagedChannelBuilder<?> b = Grpc.newChannelBuilder(target, credentials);
      if (maxAttempts > 1) {
        b.defaultServiceConfig(retryConfig()).enableRetry();
      }
      owned = b.build();
      base = owned;
    }
    List<ClientInterceptor> interceptors = new ArrayList<>();
    if (!token.isEmpty()) {
      Metadata headers = new Metadata();
      headers.put(AUTHORIZATION, "Bearer " + token);
      interceptors.add(MetadataUtils.newAttachHeadersInterceptor(headers));
    }
    return new GraftClient(owned, GraftClient.intercepted(base, interceptors), deadline);
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
