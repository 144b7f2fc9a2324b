package dev.graft.server.core.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.server.core.Limits;
import dev.graft.server.core.store.JobProgress;
import dev.graft.server.core.store.JobRecord;
import dev.graft.server.core.store.JobState;
import dev.graft.server.core.store.JobStore;
import dev.graft.server.core.store.JsonCodec;
import dev.graft.server.core.store.LocalJobStore;
import dev.graft.server.core.store.StoreLayout;
import dev.graft.spi.Task;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** keep-checkpoints on success and the checkpoint-max-age-days sweep, on a store folder tree. */
class CheckpointRetentionTest {
  private static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");

  @TempDir Path root;
  private StoreLayout layout;
  private JobStore jobs;
  private final ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1);

  @BeforeEach
  void open() {
    layout = new StoreLayout(root);
    jobs = new LocalJobStore(layout, new JsonCodec());
  }

  @AfterEach
  void close() {
    timer.shutdownNow();
    layout.close();
  }

  private CheckpointRetention retention(Limits.KeepCheckpoints keep, Duration maxAge) {
    Limits limits = new Limits(1 << 30, 100, 0, 64, 1L << 32, Duration.ofSeconds(60), keep, maxAge, 16);
    return new CheckpointRetention(layout, jobs, limits, Clock.fixed(NOW, ZoneOffset.UTC), timer);
  }

  /** A checkpoint folder laid out as the training kit writes it: best/, last/ and a swap leftover. */
  private Path checkpoints(String jobId) throws IOException {
    Path dir = layout.checkpoints().resolve(jobId);
    for (String which : new String[] {"best", "last", "last.tmp"}) {
      Files.createDirectories(dir.resolve(which));
      Files.writeString(dir.resolve(which).resolve("encoder.params"), which);
      Files.writeString(dir.resolve(which).resolve("checkpoint.json"), "{}");
    }
    return dir;
  }

  private void job(String id, JobState state, Instant ended) {
    jobs.save(new JobRecord(id, state, "minilm-l6@1", "fine-tuning", "out", "", Task.CLASSIFICATION, "inline", "",
        0.2f, null, "default", "cpu", 0, Map.of(), JobProgress.none(), List.of(), null, NOW.minus(Duration.ofDays(30)),
        NOW.minus(Duration.ofDays(30)), ended, "alice"));
  }

  private static List<String> names(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  private List<Path> stagedLeftovers() throws IOException {
    try (Stream<Path> s = Files.list(layout.staging())) {
      return s.toList();
    }
  }

  @Test
  void bestKeepsOnlyTheBestCheckpoint() throws IOException {
    Path dir = checkpoints("job-1");
    retention(Limits.KeepCheckpoints.BEST, Duration.ofDays(7)).succeeded("job-1");
    assertEquals(List.of("best"), names(dir));
    assertEquals("best", Files.readString(dir.resolve("best/encoder.params")));
    assertEquals(List.of(), stagedLeftovers(), "the removed checkpoints are deleted, not parked");
  }

  @Test
  void noneRemovesTheFolderAndAllKeepsIt() throws IOException {
    Path gone = checkpoints("job-1");
    retention(Limits.KeepCheckpoints.NONE, Duration.ofDays(7)).succeeded("job-1");
    assertFalse(Files.exists(gone));
    Path kept = checkpoints("job-2");
    retention(Limits.KeepCheckpoints.ALL, Duration.ofDays(7)).succeeded("job-2");
    assertEquals(List.of("best", "last", "last.tmp"), names(kept));
    assertEquals(List.of(), stagedLeftovers());
  }

  @Test
  void bestLeavesOtherLayoutsWholeAndRemovesEmptyFolders() throws IOException {
    Path other = layout.checkpoints().resolve("job-other");
    Files.createDirectories(other.resolve("epoch-3"));
    Files.writeString(other.resolve("epoch-3/weights"), "w");
    Path empty = Files.createDirectories(layout.checkpoints().resolve("job-empty"));
    CheckpointRetention r = retention(Limits.KeepCheckpoints.BEST, Duration.ofDays(7));
    r.succeeded("job-other");
    r.succeeded("job-empty");
    r.succeeded("job-missing");
    r.succeeded("../outside");
    assertEquals(List.of("epoch-3"), names(other));
    assertFalse(Files.exists(empty), "feature extraction leaves an empty folder: removed");
  }

  @Test
  void sweepRemovesCheckpointsOfJobsThatEndedLongerAgoWhateverTheirOutcome() throws IOException {
    job("old-ok", JobState.SUCCEEDED, NOW.minus(Duration.ofDays(8)));
    job("old-failed", JobState.FAILED, NOW.minus(Duration.ofDays(8)));
    job("old-cancelled", JobState.CANCELLED, NOW.minus(Duration.ofDays(7)).minusSeconds(1));
    job("recent-failed", JobState.FAILED, NOW.minus(Duration.ofDays(6)));
    job("running", JobState.RUNNING, null);
    job("queued", JobState.QUEUED, null);
    for (String id : List.of("old-ok", "old-failed", "old-cancelled", "recent-failed", "running", "queued",
        "orphan-old", "orphan-new")) {
      checkpoints(id);
    }
    Files.setLastModifiedTime(layout.checkpoints().resolve("orphan-old"), FileTime.from(NOW.minus(Duration.ofDays(9))));
    Files.setLastModifiedTime(layout.checkpoints().resolve("orphan-new"), FileTime.from(NOW.minus(Duration.ofDays(1))));
    Files.setLastModifiedTime(layout.checkpoints().resolve("running"), FileTime.from(NOW.minus(Duration.ofDays(30))));

    List<String> removed = retention(Limits.KeepCheckpoints.BEST, Duration.ofDays(7)).sweep();

    assertEquals(List.of("old-cancelled", "old-failed", "old-ok", "orphan-old"), removed.stream().sorted().toList());
    assertEquals(List.of("orphan-new", "queued", "recent-failed", "running"), names(layout.checkpoints()));
    assertEquals(List.of("best", "last", "last.tmp"), names(layout.checkpoints().resolve("recent-failed")),
        "the sweep only ages folders out; keep-checkpoints applies when a job succeeds");
    assertEquals(List.of(), stagedLeftovers());
  }

  @Test
  void ageZeroNeverSweeps() throws IOException {
    job("old", JobState.FAILED, NOW.minus(Duration.ofDays(3650)));
    checkpoints("old");
    CheckpointRetention r = retention(Limits.KeepCheckpoints.BEST, Duration.ZERO);
    assertEquals(List.of(), r.sweep());
    r.start();
    assertEquals(0, timer.getQueue().size(), "nothing scheduled");
    assertTrue(Files.exists(layout.checkpoints().resolve("old")));
  }

  @Test
  void startSweepsAtOnceAndThenHourly() throws Exception {
    job("old", JobState.FAILED, NOW.minus(Duration.ofDays(8)));
    checkpoints("old");
    CheckpointRetention r = retention(Limits.KeepCheckpoints.BEST, Duration.ofDays(7));
    r.start();
    r.start(); // idempotent
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (Files.exists(layout.checkpoints().resolve("old")) && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertFalse(Files.exists(layout.checkpoints().resolve("old")), "swept at start-up");
    while (timer.getQueue().isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(20); // the first sweep is still finishing; the next is queued after it
    }
    assertEquals(1, timer.getQueue().size(), "one periodic sweep scheduled");
    var next = (java.util.concurrent.ScheduledFuture<?>) timer.getQueue().peek();
    long inMinutes = next.getDelay(java.util.concurrent.TimeUnit.MINUTES);
    assertTrue(inMinutes >= 55 && inMinutes <= 60, "next sweep in " + inMinutes + " min");
  }
}
