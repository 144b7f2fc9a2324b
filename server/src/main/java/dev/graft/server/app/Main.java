package dev.graft.server.app;

/**
 * {@code java -jar graft-server.jar [--port N] [--store DIR] [--config FILE] ...}: starts Graft
 * and serves until SIGTERM or Ctrl-C, then drains. Exits 2 on a configuration error.
 *
 * <p>{@code java -jar graft-server.jar --verify-store [--store DIR]} checks a store instead and
 * exits ({@link VerifyStoreCommand}): 0 when it is consistent, 1 with one line per problem.
 */
public final class Main {
  private Main() {}

  public static void main(String[] args) throws Exception {
    if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
      System.setProperty("java.util.logging.SimpleFormatter.format", "%1$tFT%1$tT.%1$tL %4$s %3$s - %5$s%6$s%n");
    }
    if (VerifyStoreCommand.requested(args)) {
      System.exit(VerifyStoreCommand.run(args, System.getenv(), System.out, System.err));
      return;
    }
    GraftServer server;
    try {
      ServerConfig config = new ConfigLoader(System.getenv()).load(args);
      server = ServerComponent.create(config).server().start();
    } catch (ConfigException e) {
      System.err.println("graft: " + e.getMessage());
      System.exit(2);
      return;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(server::shutdown, "graft-shutdown"));
    server.awaitTermination();
  }
}
