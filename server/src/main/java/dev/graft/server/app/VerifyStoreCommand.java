package dev.graft.server.app;

import dev.graft.server.core.store.StoreVerifier;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

/**
 * {@code graft-server --verify-store [--store DIR]}: checks a store without starting a server or
 * changing anything ({@link StoreVerifier}) and prints one line per problem, then a summary. The
 * store is {@code --store DIR} (or {@code --store=DIR}), else {@code GRAFT_STORE}, else
 * {@code ./graft-data}, as for the server. Exit status: 0 consistent, 1 problems found, 2 usage
 * error or not a store.
 */
final class VerifyStoreCommand {
  static final String FLAG = "--verify-store";
  private static final String USAGE = "usage: graft-server --verify-store [--store DIR]";

  private VerifyStoreCommand() {}

  /** Whether the command line asks for this command. */
  static boolean requested(String[] args) {
    return Arrays.asList(args).contains(FLAG);
  }

  /** Runs the check; returns the exit status. */
  static int run(String[] args, Map<String, String> environment, PrintStream out, PrintStream err) {
    Path store;
    try {
      store = storeOf(args, environment);
    } catch (IllegalArgumentException e) {
      err.println("graft: " + e.getMessage());
      err.println(USAGE);
      return 2;
    }
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

  private static Path storeOf(String[] args, Map<String, String> environment) {
    String store = environment.getOrDefault(ConfigLoader.envName("store"), ConfigLoader.DEFAULTS.get("store"));
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (arg.equals(FLAG)) {
        continue;
      }
      if (arg.equals("--store") && i + 1 < args.length) {
        store = args[++i];
      } else if (arg.startsWith("--store=")) {
        store = arg.substring("--store=".length());
      } else {
        throw new IllegalArgumentException("--verify-store takes only --store DIR, not '" + arg + "'");
      }
    }
    if (store.isBlank()) {
      throw new IllegalArgumentException("--store needs a folder");
    }
    return Path.of(store);
  }
}
