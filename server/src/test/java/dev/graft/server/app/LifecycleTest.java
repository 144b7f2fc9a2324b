package dev.graft.server.app;

import static dev.graft.server.api.ErrorAssert.assertCode;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.client.GraftClient;
import dev.graft.server.TestServer;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Health, reflection, auth and graceful shutdown on a real port. */
class LifecycleTest {
  @TempDir Path store;

  @Test
  void healthReflectionAndDrain() throws Exception {
    TestServer server = TestServer.onPort(store);
    ManagedChannel channel = ManagedChannelBuilder.forAddress("localhost", server.port()).usePlaintext().build();
    try {
      var health = HealthGrpc.newBlockingStub(channel);
      assertEquals(HealthCheckResponse.ServingStatus.SERVING,
          health.check(HealthCheckRequest.newBuilder().build()).getStatus());
      for (String service : List.of("graft.v1.TrainingService", "graft.v1.InferenceService", "graft.v1.ModelService",
          "graft.v1.DatasetService", "graft.v1.ServerService")) {
        assertEquals(HealthCheckResponse.ServingStatus.SERVING,
            health.check(HealthCheckRequest.newBuilder().setService(service).build()).getStatus(), service);
      }
      assertTrue(reflectedServices(channel).containsAll(List.of("graft.v1.TrainingService",
          "graft.v1.InferenceService", "grpc.health.v1.Health")));

      server.close(); // drains: NOT_SERVING, then stops
      assertCode(Status.Code.UNAVAILABLE, () -> health.check(HealthCheckRequest.newBuilder().build()));
    } finally {
      channel.shutdownNow();
      server.close();
    }
  }

  @Test
  void bearerTokenIsEnforced() throws Exception {
    try (TestServer server = TestServer.onPort(store, "auth-token", "s3cret")) {
      assertCode(Status.Code.UNAUTHENTICATED, () -> server.client().serverInfo());
      try (GraftClient wrong = GraftClient.builder("localhost:" + server.port()).bearerToken("nope").build();
          GraftClient right = GraftClient.builder("localhost:" + server.port()).bearerToken("s3cret").build()) {
        assertCode(Status.Code.UNAUTHENTICATED, wrong::serverInfo);
        assertEquals("test", right.serverInfo().getReplica());
      }
    }
  }

  private static List<String> reflectedServices(ManagedChannel channel) throws InterruptedException {
    List<String> names = new ArrayList<>();
    CountDownLatch done = new CountDownLatch(1);
    StreamObserver<ServerReflectionRequest> requests = ServerReflectionGrpc.newStub(channel).serverReflectionInfo(
        new StreamObserver<>() {
          @Override
          public void onNext(ServerReflectionResponse r) {
            r.getListServicesResponse().getServiceList().forEach(s -> names.add(s.getName()));
          }

          @Override
          public void onError(Throwable t) {
            done.countDown();
          }

          @Override
          public void onCompleted() {
            done.countDown();
          }
        });
    requests.onNext(ServerReflectionRequest.newBuilder().setListServices("").build());
    requests.onCompleted();
    assertTrue(done.await(10, TimeUnit.SECONDS));
    return names;
  }
}
