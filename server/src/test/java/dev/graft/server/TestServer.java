package dev.graft.server;

import dev.graft.client.GraftClient;
import dev.graft.server.app.ConfigLoader;
import dev.graft.server.app.GraftServer;
import dev.graft.server.app.ServerComponent;
import dev.graft.server.app.ServerConfig;
import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A real Graft server for tests: the production Dagger graph over a temporary store, served
 * in-process (directExecutor) or on a real loopback port, with a client connected to it.
 */
public final class TestServer implements AutoCloseable {
  private final GraftServer server;
  private final ManagedChannel channel;
  private final GraftClient client;
  private final ServerConfig config;

  private TestServer(ServerConfig config, boolean inProcess) throws IOException {
    this.config = config;
    this.server = ServerComponent.create(config).server();
    if (inProcess) {
      String name = "graft-test-" + UUID.randomUUID();
      server.start(InProcessServerBuilder.forName(name).directExecutor());
      channel = InProcessChannelBuilder.forName(name).directExecutor()
          .maxInboundMessageSize(config.maxInboundMessageBytes() * 4).build();
      client = GraftClient.builder(name).channel(channel).build();
    } else {
      server.start();
      channel = null;
      client = GraftClient.builder("localhost:" + server.port()).build();
    }
  }

  /** An in-process server over {@code store} with extra settings ("key", "value", ...). */
  public static TestServer inProcess(Path store, String... settings) throws IOException {
    return new TestServer(config(store, settings), true);
  }

  /** A server on a free loopback port. */
  public static TestServer onPort(Path store, String... settings) throws IOException {
    return new TestServer(config(store, settings), false);
  }

  /** An in-process server with a configuration made by the test (e.g. a shared store). */
  public static TestServer inProcess(ServerConfig config) throws IOException {
    return new TestServer(config, true);
  }

  public static ServerConfig config(Path store, String... settings) {
    List<String> args = new ArrayList<>(List.of("--port", "0", "--store", store.toString(),
        "--shutdown-grace-seconds", "5", "--replica-id", "test"));
    for (int i = 0; i < settings.length; i += 2) {
      args.add("--" + settings[i]);
      args.add(settings[i + 1]);
    }
    return new ConfigLoader(Map.of()).load(args.toArray(String[]::new));
  }

  public GraftClient client() {
    return client;
  }

  /** The in-process channel, for stubs of other services (in-process servers only). */
  public ManagedChannel channel() {
    if (channel == null) {
      throw new IllegalStateException("a server on a port: make a channel to localhost:" + port());
    }
    return channel;
  }

  public int port() {
    return server.port();
  }

  /** The HTTP listener's port. */
  public int httpPort() {
    return server.httpPort();
  }

  public ServerConfig config() {
    return config;
  }

  @Override
  public void close() {
    client.close();
    if (channel != null) {
      channel.shutdownNow();
    }
    server.shutdown();
  }
}
