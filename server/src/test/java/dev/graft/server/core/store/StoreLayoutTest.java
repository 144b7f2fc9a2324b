package dev.graft.server.core.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StoreLayoutTest {
  @TempDir Path root;

  @Test
  void createsEveryFolder() {
    try (StoreLayout layout = new StoreLayout(root)) {
      for (Path p : new Path[] {layout.models(), layout.datasets(), layout.jobs(), layout.cache(),
          layout.checkpoints(), layout.staging()}) {
        assertTrue(Files.isDirectory(p), p.toString());
      }
      assertTrue(layout.staging().startsWith(root.resolve("staging")));
    }
  }

  @Test
  void wipesLeftoversOfDeadInstancesButNotOfLiveOnes() throws IOException {
    // A crashed instance: its staging folder and an unlocked lock file.
    Path dead = root.resolve("staging/0123456789abcdef");
    Files.createDirectories(dead.resolve("model-x"));
    Files.writeString(dead.resolve("model-x/weights.bin"), "half");
    Files.writeString(root.resolve("staging/0123456789abcdef.lock"), "jvm 1@gone 0");
    Files.createDirectories(root.resolve("staging/model-orphan"));

    try (StoreLayout live = new StoreLayout(root)) {
      Files.writeString(live.staging().resolve("work.tmp"), "in progress");
      assertFalse(Files.exists(dead));
      assertFalse(Files.exists(root.resolve("staging/0123456789abcdef.lock")));
      assertFalse(Files.exists(root.resolve("staging/model-orphan")));
      assertFalse(live.isAlive("0123456789abcdef"));

      try (StoreLayout neighbour = new StoreLayout(root)) {
        assertNotEquals(live.instanceId(), neighbour.instanceId());
        assertTrue(Files.exists(live.staging().resolve("work.tmp")), "a live neighbour's staging is kept");
        assertTrue(neighbour.isAlive(live.instanceId()));
        assertTrue(live.isAlive(neighbour.instanceId()));
      }
      assertTrue(live.isAlive(live.instanceId()));
    }
  }

  @Test
  void checkingWhoIsAliveNeverDropsThisProcesssLocks() throws IOException {
    // POSIX locks go with any close of the file by their process: reading a lock file this process
    // holds would make the instance look dead to every other process.
    Path locks = Path.of("/proc/locks");
    assumeTrue(Files.isReadable(locks), "Linux only: reads /proc/locks");
    Files.createDirectories(root.resolve("models/m/1")); // an entry only liveness can judge
    StoreFixture.age(root.resolve("models/m/1"), Duration.ofSeconds(5));
    try (StoreLayout me = new StoreLayout(root); StoreLayout neighbour = new StoreLayout(root)) {
      assertEquals(Set.of(me.instanceId(), neighbour.instanceId()), StoreLayout.liveInstances(root));
      assertTrue(me.othersAlive() && me.isAlive(neighbour.instanceId()) && neighbour.isAlive(me.instanceId()));
      new StoreSweeper(me).sweep();
      new StoreVerifier(root).verify();
      for (StoreLayout layout : new StoreLayout[] {me, neighbour}) {
        Path lockFile = root.resolve("staging/" + layout.instanceId() + ".lock");
        assertTrue(lockedByThisProcess(locks, lockFile), "the OS lock on " + lockFile + " is still held");
      }
    }
  }

  /** Whether /proc/locks lists a lock of this process on {@code file}'s inode. */
  private static boolean lockedByThisProcess(Path locks, Path file) throws IOException {
    String inode = ":" + Files.getAttribute(file, "unix:ino") + " ";
    String pid = " " + ProcessHandle.current().pid() + " ";
    return Files.readAllLines(locks).stream().anyMatch(l -> l.contains(pid) && l.contains(inode));
  }

  @Test
  void closeRemovesOwnStagingAndLock() throws IOException {
    StoreLayout first = new StoreLayout(root);
    Files.writeString(first.staging().resolve("x"), "x");
    first.close();
    assertFalse(Files.exists(first.staging()));
    try (StoreLayout second = new StoreLayout(root)) {
      assertFalse(second.isAlive(first.instanceId()));
      assertEquals(1, AtomicFilesTest.names(root.resolve("staging")).stream().filter(n -> n.endsWith(".lock")).count());
    }
  }
}
