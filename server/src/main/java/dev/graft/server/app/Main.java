package dev.graft.server.app;

import dev.graft.server.telemetry.JsonLogFormatter;
import dev.graft.spi.GraftException;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.Logger;

/**
 * {@code java -jar graft-server.jar [--port N] [--store DIR] [--config FILE] ...}: starts Graft
 * and serves until SIGTERM or Ctrl-C, then drains. Exits 2 on a configuration error.
 *
 * <p>{@code java -jar graft-server.jar store verify [--store DIR | --store postgresql://… --blob-store
 * s3://…]} (or {@code --verify-store …}) checks a store instead and exits ({@link
 * VerifyStoreCommand}): 0 when it is consistent, 1 with one line per problem. {@code java -jar
 * graft-server.jar store migrate --from DIR --to postgresql://… --blob-store s3://…} copies a local
 * store into a shared one ({@link StoreCommand}).
 */
public final class Main {
  /** Held so that their levels stick (java.util.logging keeps loggers weakly). */
  private static final List<Logger> QUIETED = List.of(Logger.getLogger("org.eclipse.jetty"),
      Logger.getLogger("io.javalin"), Logger.getLogger("io.opentelemetry"));

  private Main() {}

  public static void main(String[] args) throws Exception {
    if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
      System.setProperty("java.util.logging.SimpleFormatter.format", "%1$tFT%1$tT.%1$tL %4$s %3$s - %5$s%6$s%n");
    }
    if (StoreCommand.requested(args)) {
      System.exit(StoreCommand.run(args, System.getenv(), System.out, System.err));
      return;
    }
    if (VerifyStoreCommand.requested(args)) {
      System.exit(VerifyStoreCommand.run(args, System.getenv(), System.out, System.err));
      return;
    }
    GraftServer server;
    try {
      ServerConfig config = new ConfigLoader(System.getenv()).load(args);
      configureLogging(config);
      server = ServerComponent.create(config).server();
      // Before start: a SIGTERM while built-in models load waits for start-up (the server's
      // lifecycle is serialised) and then drains, instead of exiting under a thread that is
      // inside the engine's native code.
      GraftServer started = server;
      Runtime.getRuntime().addShutdownHook(new Thread(started::shutdown, "graft-shutdown"));
      server.start();
    } catch (ConfigException e) {
      System.err.println("graft: " + e.getMessage());
      System.exit(2);
      return;
    } catch (GraftException e) {
      // e.g. a shared store whose database or object store cannot be reached at start-up
      System.err.println("graft: cannot start: " + e.getMessage() + " (" + e.reason() + ")");
      System.exit(1);
      return;
    }
    server.awaitTermination();
  }

  /** {@code log-format=json} puts {@link JsonLogFormatter} on the console; the HTTP stack logs warnings only. */
  private static void configureLogging(ServerConfig config) {
    QUIETED.forEach(l -> l.setLevel(Level.WARNING));
    if (config.observability().jsonLogs()) {
      for (Handler handler : LogManager.getLogManager().getLogger("").getHandlers()) {
        handler.setFormatter(new JsonLogFormatter());
      }
    }
  }
}
