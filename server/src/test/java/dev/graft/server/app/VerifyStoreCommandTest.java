package dev.graft.server.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.server.core.store.StoreLayout;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --verify-store}: exit 0 for a consistent store, 1 with one line per problem, 2 for bad use. */
class VerifyStoreCommandTest {
  @TempDir Path root;
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(Map<String, String> env, String... args) {
    assertTrue(VerifyStoreCommand.requested(args));
    return VerifyStoreCommand.run(args, env, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  @Test
  void aConsistentStoreExitsZero() {
    new StoreLayout(root).close();
    assertEquals(0, run(Map.of(), "--verify-store", "--store", root.toString()));
    assertEquals("store OK: 0 model version(s), 0 dataset(s), 0 job(s)\n", out.toString(StandardCharsets.UTF_8));
    assertEquals(0, run(Map.of("GRAFT_STORE", root.toString()), "--verify-store"), "the store from GRAFT_STORE");
    assertEquals(0, run(Map.of(), "--store=" + root, "--verify-store"));
  }

  @Test
  void problemsArePrintedOneALineAndExitOne() throws Exception {
    new StoreLayout(root).close();
    Files.createDirectories(root.resolve("models/m/1"));
    Files.createDirectories(root.resolve("datasets/ds-0123456789ab"));
    assertEquals(1, run(Map.of(), "--verify-store", "--store", root.toString()));
    assertEquals("""
        models/m/1: left over: no manifest.json and no .deleted marker (a publish or delete cut short; 0 file(s))
        datasets/ds-0123456789ab: left over: no manifest.json (an upload's publish cut short)
        2 problem(s) in 0 model version(s), 0 dataset(s), 0 job(s)
        """, out.toString(StandardCharsets.UTF_8));
  }

  @Test
  void badUseExitsTwo() {
    assertEquals(2, run(Map.of(), "--verify-store", "--store", root.resolve("missing").toString()));
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("is not a Graft store"), err.toString());
    assertEquals(2, run(Map.of(), "--verify-store", "--port", "1"));
    assertTrue(err.toString(StandardCharsets.UTF_8).contains(
        "--verify-store takes only --store, --blob-store, --store-password-file and --deep, not '--port'"));
    assertFalse(VerifyStoreCommand.requested(new String[] {"--store", "x"}));
  }
}
