package dev.graft.server.app;

import static dev.graft.server.api.ErrorAssert.assertCode;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.api.v1.GetModelRequest;
import dev.graft.api.v1.GetServerInfoRequest;
import dev.graft.api.v1.ModelServiceGrpc;
import dev.graft.api.v1.ServerServiceGrpc;
import dev.graft.server.TestServer;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.MetadataUtils;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a load balancer relies on: connection settings, the replica header, readiness and drain. */
class ScaleOutSettingsTest {
  private static final Metadata.Key<String> REPLICA = Metadata.Key.of("x-graft-replica", Metadata.ASCII_STRING_MARSHALLER);
  @TempDir Path store;

  @Test
  void connectionSettingsHaveDefaultsAndAreChecked() {
    ServerConfig.Connections d = new ConfigLoader(Map.of()).load().connections();
    assertEquals(new ServerConfig.Connections(Duration.ofSeconds(60), Duration.ofSeconds(20), Duration.ofSeconds(10),
        Duration.ofSeconds(300), Duration.ofSeconds(3600)), d);
    ServerConfig c = new ConfigLoader(Map.of("GRAFT_MAX_CONNECTION_AGE_SECONDS", "0"))
        .load("--keepalive-time-seconds", "30", "--max-connection-age-grace-seconds", "5");
    assertEquals(Duration.ofSeconds(30), c.connections().keepAliveTime());
    assertEquals(Duration.ZERO, c.connections().maxConnectionAge());
    assertEquals(Duration.ofSeconds(5), c.connections().maxConnectionAgeGrace());
    var bad = assertThrows(ConfigException.class, () -> new ConfigLoader(Map.of()).load("--keepalive-time-seconds", "0"));
    assertTrue(bad.getMessage().contains("keepalive-time-seconds"), bad.getMessage());
    var replica = assertThrows(ConfigException.class, () -> new ConfigLoader(Map.of()).load("--replica-id", "a b"));
    assertTrue(replica.getMessage().contains("replica-id"), replica.getMessage());
  }

  @Test
  void everyResponseNamesTheReplicaAndDrainGoesNotServing() throws Exception {
    TestServer server = TestServer.onPort(store, "max-connection-age-seconds", "1",
        "max-connection-age-grace-seconds", "5");
    ManagedChannel channel = ManagedChannelBuilder.forAddress("localhost", server.port()).usePlaintext().build();
    try {
      AtomicReference<Metadata> headers = new AtomicReference<>();
      AtomicReference<Metadata> trailers = new AtomicReference<>();
      var intercepted = ClientInterceptors.intercept(channel,
          MetadataUtils.newCaptureMetadataInterceptor(headers, trailers));

      var info = ServerServiceGrpc.newBlockingStub(intercepted).getServerInfo(GetServerInfoRequest.getDefaultInstance());
      assertEquals("test", headers.get().get(REPLICA));
      assertEquals("local", info.getStore().getKind());
      assertEquals(store.toAbsolutePath().normalize().toString(), info.getStore().getLocation());
      assertEquals(1, info.getStore().getReplicas());
      assertEquals(0, info.getPools(0).getClusterQueuedJobs(), "no cluster queue with the local store");

      headers.set(null);
      assertCode(Status.Code.NOT_FOUND, () -> ModelServiceGrpc.newBlockingStub(intercepted)
          .getModel(GetModelRequest.newBuilder().setName("no-such-model").build()));
      String onError = headers.get() != null && headers.get().containsKey(REPLICA)
          ? headers.get().get(REPLICA) : trailers.get().get(REPLICA);
      assertEquals("test", onError, "a trailers-only error names the replica too");

      var health = HealthGrpc.newBlockingStub(intercepted);
      assertEquals(ServingStatus.SERVING, health.check(HealthCheckRequest.getDefaultInstance()).getStatus(),
          "ready once the built-in models are warm");
      assertEquals(ServingStatus.SERVING, health.check(HealthCheckRequest.newBuilder()
          .setService(ServerServiceGrpc.SERVICE_NAME).build()).getStatus(), "alive");

      Thread.sleep(1500); // past the connection's maximum age: the client reconnects transparently
      assertEquals(ServingStatus.SERVING, health.check(HealthCheckRequest.getDefaultInstance()).getStatus());
    } finally {
      server.close();
      channel.shutdownNow();
    }
  }
}
