package dev.graft.server.app;

import dev.graft.server.core.store.JsonCodec;
import dev.graft.server.core.store.LocalStoreReader;
import dev.graft.server.core.store.sql.DatabaseUrl;
import dev.graft.server.core.store.sql.StoreMigration;
import dev.graft.spi.GraftException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * {@code graft-server store <command>}: operations on a store, without starting a server.
 *
 * <ul>
 *   <li>{@code store migrate --from DIR --to postgresql://user@host[:port]/db --blob-store
 *       s3://bucket/prefix [--store-password-file FILE] [--work-dir DIR]}: copies a stopped local
 *       store into a shared store, keeping every identity ({@link StoreMigration}); idempotent and
 *       resumable. The shared store's settings are read as the server reads them ({@link
 *       ConfigLoader}: these flags, else {@code GRAFT_BLOB_STORE}, {@code GRAFT_STORE_PASSWORD} or
 *       {@code GRAFT_STORE_PASSWORD_FILE}, and the {@code AWS_*} variables), and it is opened as a
 *       server opens it ({@link SharedStore}; the migration is a replica while it runs). The work
 *       folder (local staging) is a temporary one unless {@code --work-dir} names one. Prints one
 *       line per model version, dataset and alias, then the counts and the problems. Exit status: 0
 *       when everything is in the shared store, 1 on conflicts or problems (listed), on a backend
 *       that is down, or when a server is using the local store; 2 on bad arguments.
 *   <li>{@code store verify …}: {@link VerifyStoreCommand}.
 * </ul>
 */
final class StoreCommand {
  static final String WORD = "store";
  private static final String USAGE = """
      usage: graft-server store migrate --from DIR --to postgresql://user@host[:port]/database \
      --blob-store s3://bucket/prefix [--store-password-file FILE] [--work-dir DIR]
             graft-server store verify [--store DIR | --store postgresql://… --blob-store s3://…] \
      [--store-password-file FILE] [--deep]""";

  private StoreCommand() {}

  /** Whether the command line asks for this command: its first word is {@code store}. */
  static boolean requested(String[] args) {
    return args.length > 0 && args[0].equals(WORD);
  }

  /** Runs the command; returns the exit status. */
  static int run(String[] args, Map<String, String> environment, PrintStream out, PrintStream err) {
    String sub = args.length > 1 ? args[1] : "";
    String[] rest = Arrays.copyOfRange(args, Math.min(2, args.length), args.length);
    return switch (sub) {
      case "migrate" -> migrate(rest, environment, out, err);
      case "verify" -> VerifyStoreCommand.run("store verify", rest, environment, out, err);
      default -> {
        err.println("graft: " + (sub.isEmpty() ? "store needs a command" : "no store command '" + sub + "'")
            + ": migrate or verify");
        err.println(USAGE);
        yield 2;
      }
    };
  }

  private static int migrate(String[] args, Map<String, String> environment, PrintStream out, PrintStream err) {
    Map<String, String> flags;
    try {
      flags = flags(args, Set.of("from", "to", "blob-store", "store-password-file", "work-dir"));
      if (!flags.containsKey("from") || !flags.containsKey("to")) {
        throw new IllegalArgumentException("store migrate needs --from DIR and --to postgresql://…");
      }
      if (!DatabaseUrl.isDatabase(flags.get("to"))) {
        throw new IllegalArgumentException("--to must name a database (postgresql://user@host[:port]/database), not '"
            + flags.get("to") + "'");
      }
    } catch (IllegalArgumentException e) {
      err.println("graft: " + e.getMessage());
      err.println(USAGE);
      return 2;
    }
    LocalStoreReader source;
    try {
      source = new LocalStoreReader(Path.of(flags.get("from")));
    } catch (IOException e) {
      err.println("graft: --from: " + e.getMessage());
      return 2;
    }
    List<String> config = new ArrayList<>(List.of("--store", flags.get("to")));
    for (String key : List.of("blob-store", "store-password-file", "work-dir")) {
      if (flags.containsKey(key)) {
        config.add("--" + key);
        config.add(flags.get(key));
      }
    }
    Path temporaryWork = null;
    try {
      if (!flags.containsKey("work-dir")) {
        temporaryWork = Files.createTempDirectory("graft-migrate-");
        config.add("--work-dir");
        config.add(temporaryWork.toString());
      }
      ServerConfig loaded = new ConfigLoader(environment).load(config.toArray(String[]::new));
      ServerConfig.SharedStore settings = loaded.sharedStore().orElseThrow();
      Set<String> live = source.liveInstances();
      if (!live.isEmpty()) {
        err.println("graft: the store at " + source.root() + " is in use by " + live.size() + " running server(s)"
            + " (instance(s) " + String.join(", ", live) + "): stop them before migrating");
        return 1;
      }
      out.println("migrating " + source.root() + " to " + settings.database().display() + " with files in "
          + settings.blobs());
      StoreMigration.Report report;
      try (SharedStore shared = SharedStore.open(settings, loaded.store(), new JsonCodec(), StoreModule.parsers(),
          loaded.limits())) {
        report = new StoreMigration(source, shared.models, shared.datasets, shared.jobs, out::println).run();
      }
      report.summary().forEach(out::println);
      report.problems().forEach(p -> out.println("problem: " + p));
      return report.succeeded() ? 0 : 1;
    } catch (ConfigException e) {
      err.println("graft: " + e.getMessage());
      err.println(USAGE);
      return 2;
    } catch (GraftException e) {
      err.println("graft: cannot migrate into the shared store: " + e.getMessage());
      return 1;
    } catch (IOException e) {
      err.println("graft: cannot migrate " + source.root() + ": " + e.getMessage());
      return 1;
    } finally {
      deleteQuietly(temporaryWork);
    }
  }

  /** {@code --name value} or {@code --name=value} for each of {@code known}; anything else is refused. */
  static Map<String, String> flags(String[] args, Set<String> known) {
    Map<String, String> out = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      String name = arg.startsWith("--") ? arg.substring(2) : "";
      String value = null;
      int eq = name.indexOf('=');
      if (eq >= 0) {
        value = name.substring(eq + 1);
        name = name.substring(0, eq);
      }
      if (!known.contains(name)) {
        throw new IllegalArgumentException("unexpected '" + arg + "'");
      }
      if (value == null) {
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException("--" + name + " needs a value");
        }
        value = args[++i];
      }
      if (value.isBlank()) {
        throw new IllegalArgumentException("--" + name + " needs a value");
      }
      out.put(name, value);
    }
    return out;
  }

  /** Deletes a temporary folder, if any; best effort. */
  static void deleteQuietly(Path root) {
    if (root == null) {
      return;
    }
    try (Stream<Path> walk = Files.walk(root)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException | RuntimeException ignored) {
      // best effort: a temporary folder
    }
  }
}
