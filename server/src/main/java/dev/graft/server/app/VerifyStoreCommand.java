package dev.graft.server.app;

import dev.graft.server.core.store.JsonCodec;
import dev.graft.server.core.store.StoreVerifier;
import dev.graft.server.core.store.sql.DatabaseUrl;
import dev.graft.server.core.store.sql.Instances;
import dev.graft.server.core.store.sql.SharedStoreVerifier;
import dev.graft.spi.GraftException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * {@code graft-server store verify [--store DIR | --store postgresql://… --blob-store s3://…]
 * [--store-password-file FILE] [--deep]} (also {@code graft-server --verify-store …}): checks a
 * store without starting a server or changing anything and prints one line per problem, then a
 * summary.
 *
 * <ul>
 *   <li>A local store ({@link StoreVerifier}): {@code --store DIR} (or {@code --store=DIR}), else
 *       {@code GRAFT_STORE}, else {@code ./graft-data}, as for the server. Files are always checked
 *       against their SHA-256, so {@code --deep} changes nothing.
 *   <li>A shared store ({@link SharedStoreVerifier}), when the store is {@code postgresql://…}: the
 *       blob store, the password and the object store's credentials are read as the server reads
 *       them ({@link ConfigLoader}: flags, {@code GRAFT_*} and {@code AWS_*} variables, {@code
 *       GRAFT_STORE_PASSWORD} or {@code --store-password-file}). No replica is registered. Blobs are
 *       stat'ed; {@code --deep} downloads each and checks its SHA-256.
 * </ul>
 *
 * Exit status: 0 consistent, 1 problems found (or the shared store's backends cannot be reached),
 * 2 usage error or not a store.
 */
final class VerifyStoreCommand {
  static final String FLAG = "--verify-store";
  private static final String USAGE = "usage: graft-server store verify [--store DIR | --store postgresql://user@host/db"
      + " --blob-store s3://bucket/prefix] [--store-password-file FILE] [--deep]";

  private VerifyStoreCommand() {}

  /** Whether the command line asks for this command ({@code --verify-store}). */
  static boolean requested(String[] args) {
    return Arrays.asList(args).contains(FLAG);
  }

  /** Runs {@code --verify-store …}; returns the exit status. */
  static int run(String[] args, Map<String, String> environment, PrintStream out, PrintStream err) {
    return run(FLAG, Arrays.stream(args).filter(a -> !a.equals(FLAG)).toArray(String[]::new), environment, out, err);
  }

  /**
   * Runs the check with {@code args} (the command's own words removed); returns the exit status.
   *
   * @param command how the command was named, for messages ("--verify-store", "store verify")
   */
  static int run(String command, String[] args, Map<String, String> environment, PrintStream out, PrintStream err) {
    Options options;
    try {
      options = Options.parse(command, args, environment);
    } catch (IllegalArgumentException e) {
      err.println("graft: " + e.getMessage());
      err.println(USAGE);
      return 2;
    }
    if (DatabaseUrl.isDatabase(options.store)) {
      return verifyShared(options, environment, out, err);
    }
    if (!options.configFlags.isEmpty()) {
      err.println("graft: " + String.join(" and ", options.configFlagNames()) + " apply to a shared store only"
          + " (--store postgresql://…)");
      err.println(USAGE);
      return 2;
    }
    Path store = Path.of(options.store);
    StoreVerifier.Report report;
    try {
      report = new StoreVerifier(store).verify();
    } catch (IOException | RuntimeException e) {
      err.println("graft: cannot verify the store at " + store.toAbsolutePath() + ": " + e.getMessage());
      return 2;
    }
    report.problems().forEach(out::println);
    out.println(report.summary());
    return report.consistent() ? 0 : 1;
  }

  private static int verifyShared(Options options, Map<String, String> environment, PrintStream out,
      PrintStream err) {
    ServerConfig.SharedStore settings;
    try {
      List<String> flags = new ArrayList<>(List.of("--store", options.store));
      flags.addAll(options.configFlags);
      settings = new ConfigLoader(environment).load(flags.toArray(String[]::new)).sharedStore().orElseThrow();
    } catch (ConfigException e) {
      err.println("graft: " + e.getMessage());
      err.println(USAGE);
      return 2;
    }
    SharedStoreVerifier.Report report;
    Path scratch = null;
    try (SharedStore.Backends backends = SharedStore.connect(settings)) {
      scratch = Files.createTempDirectory("graft-verify-");
      report = new SharedStoreVerifier(backends.database(), backends.blobs(), new JsonCodec(), Instances.DEFAULT_LEASE,
          options.deep, scratch).verify();
    } catch (ConfigException e) {
      err.println("graft: " + e.getMessage());
      return 2;
    } catch (GraftException | IOException e) {
      err.println("graft: cannot verify the shared store " + settings.database().display() + " with files in "
          + settings.blobs() + ": " + e.getMessage());
      return 1;
    } finally {
      StoreCommand.deleteQuietly(scratch);
    }
    report.problems().forEach(out::println);
    out.println(report.summary());
    return report.consistent() ? 0 : 1;
  }

  /** The command line: the store, the shared store's own settings as flags for {@link ConfigLoader}, --deep. */
  private record Options(String store, List<String> configFlags, boolean deep) {
    private static final List<String> SHARED_FLAGS = List.of("blob-store", "store-password-file");

    static Options parse(String command, String[] args, Map<String, String> environment) {
      String store = environment.getOrDefault(ConfigLoader.envName("store"), ConfigLoader.DEFAULTS.get("store"));
      List<String> config = new ArrayList<>();
      boolean deep = false;
      for (int i = 0; i < args.length; i++) {
        String arg = args[i];
        if (arg.equals("--deep")) {
          deep = true;
          continue;
        }
        String name = arg.startsWith("--") ? arg.substring(2) : "";
        String value = null;
        int eq = name.indexOf('=');
        if (eq >= 0) {
          value = name.substring(eq + 1);
          name = name.substring(0, eq);
        }
        if (!name.equals("store") && !SHARED_FLAGS.contains(name)) {
          throw new IllegalArgumentException(command + " takes only --store, --blob-store, --store-password-file"
              + " and --deep, not '" + arg + "'");
        }
        if (value == null) {
          if (i + 1 >= args.length) {
            throw new IllegalArgumentException("--" + name + " needs a value");
          }
          value = args[++i];
        }
        if (name.equals("store")) {
          store = value;
        } else {
          config.add("--" + name);
          config.add(value);
        }
      }
      if (store.isBlank()) {
        throw new IllegalArgumentException("--store needs a folder or a postgresql:// URL");
      }
      return new Options(store, List.copyOf(config), deep);
    }

    List<String> configFlagNames() {
      List<String> names = new ArrayList<>();
      for (int i = 0; i < configFlags.size(); i += 2) {
        names.add(configFlags.get(i));
      }
      return names;
    }
  }
}
