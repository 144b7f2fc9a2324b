package dev.graft.server.core.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a crash leaves is swept; what a live instance may be writing is not. */
class StoreSweeperTest {
  @TempDir Path root;
  private final JsonCodec json = new JsonCodec();

  @Test
  void temporaryFilesOfDeadInstancesAreSweptThoseOfLiveOnesKept() throws IOException {
    String dead = StoreFixture.deadInstance(root);
    try (StoreLayout neighbour = new StoreLayout(root); StoreLayout me = new StoreLayout(root)) {
      Path deadJob = write(root.resolve("jobs").resolve(StoreFixture.tempName("job-a.json", dead)));
      Path deadCache = write(root.resolve("cache/features").resolve(StoreFixture.tempName("x.f32", dead)));
      Path live = write(root.resolve("jobs").resolve(StoreFixture.tempName("job-b.json", neighbour.instanceId())));
      Path mine = write(root.resolve("jobs").resolve(StoreFixture.tempName("job-c.json", me.instanceId())));
      // no owner named (an older server's): judged by age while a neighbour lives
      Path recent = write(root.resolve("jobs").resolve(StoreFixture.tempName("job-d.json", "")));
      Path old = write(root.resolve("jobs").resolve(StoreFixture.tempName("job-e.json", "")));
      StoreFixture.age(old, Leftovers.GRACE.plusMinutes(1));
      Path notATemp = write(root.resolve("jobs/.notes.tmp"));

      List<StoreLeftover> swept = new StoreSweeper(me).sweep();

      assertEquals(3, swept.size(), swept.toString());
      assertFalse(Files.exists(deadJob));
      assertFalse(Files.exists(deadCache));
      assertFalse(Files.exists(old));
      assertTrue(Files.exists(live) && Files.exists(mine) && Files.exists(recent) && Files.exists(notATemp));
    }
  }

  @Test
  void withNoNeighbourWhatPredatesThisInstanceIsSweptAtOnce() throws IOException {
    Path unowned = write(root.resolve("jobs").resolve(StoreFixture.tempName("job-a.json", "")));
    Path claim = root.resolve("models/m/1");
    Files.createDirectories(claim); // a publish cut short right after claiming the version
    StoreFixture.age(unowned, Duration.ofSeconds(5));
    StoreFixture.age(claim, Duration.ofSeconds(5));
    try (StoreLayout me = new StoreLayout(root)) {
      Path later = write(root.resolve("jobs").resolve(StoreFixture.tempName("job-b.json", "")));
      new StoreSweeper(me).sweep();
      assertFalse(Files.exists(unowned));
      assertEquals(List.of(LocalModelStore.TOMBSTONE), AtomicFilesTest.names(claim));
      assertTrue(Files.exists(later), "written after this instance started: maybe its own write in progress");
    }
  }

  @Test
  void aNeighbourKeepsRecentUnownedEntries() throws IOException {
    Path claim = root.resolve("models/m/1");
    Files.createDirectories(claim);
    StoreFixture.age(claim, Duration.ofSeconds(5));
    try (StoreLayout neighbour = new StoreLayout(root); StoreLayout me = new StoreLayout(root)) {
      assertTrue(me.othersAlive() && me.isAlive(neighbour.instanceId()));
      assertEquals(List.of(), new StoreSweeper(me).sweep(), "the neighbour may be publishing it");
      StoreFixture.age(claim, Leftovers.GRACE.plusMinutes(1));
      assertEquals(1, new StoreSweeper(me).sweep().size());
    }
  }

  @Test
  void modelVersionsCutShortAreFinishedAsDeleted() throws IOException {
    try (StoreLayout before = new StoreLayout(root)) {
      ModelStore models = new LocalModelStore(before, json);
      for (int i = 0; i < 3; i++) {
        Path staged = models.newStagingDirectory();
        Files.writeString(staged.resolve("head.bin"), "w" + i);
        models.create(ModelStoreTest.draft("m"), staged);
      }
    }
    // m@2: a delete cut short after its manifest was moved out; m@3: after its marker was written
    Files.delete(root.resolve("models/m/2/manifest.json"));
    Files.delete(root.resolve("models/m/3/manifest.json"));
    Files.writeString(root.resolve("models/m/3/.deleted"), "m@3");
    Files.createDirectories(root.resolve("models/m/4")); // a publish cut short
    for (int v = 2; v <= 4; v++) {
      StoreFixture.age(root.resolve("models/m/" + v), Duration.ofSeconds(5));
    }
    try (StoreLayout me = new StoreLayout(root)) {
      assertEquals(3, new StoreSweeper(me).sweep().size());
      for (int v = 2; v <= 4; v++) {
        Path dir = root.resolve("models/m/" + v);
        assertEquals(List.of(LocalModelStore.TOMBSTONE), AtomicFilesTest.names(dir), dir.toString());
        assertEquals("m@" + v, Files.readString(dir.resolve(LocalModelStore.TOMBSTONE)));
      }
      ModelStore models = new LocalModelStore(me, json);
      assertEquals(List.of("m@1"), models.list().stream().map(ModelRecord::ref).toList());
      Path staged = models.newStagingDirectory();
      Files.writeString(staged.resolve("head.bin"), "new");
      assertEquals(5, models.create(ModelStoreTest.draft("m"), staged).version(), "numbers stay taken");
      assertEquals(List.of(), new StoreSweeper(me).sweep(), "nothing left");
    }
  }

  @Test
  void unfinishedDatasetsStaleCancelMarkersAndDeadStagingAreSwept() throws IOException {
    String dead = StoreFixture.deadInstance(root);
    Path claim = root.resolve("datasets/ds-0123456789ab");
    Files.createDirectories(claim);
    Path other = root.resolve("datasets/not-a-dataset");
    Files.createDirectories(other);
    StoreFixture.age(claim, Duration.ofSeconds(5));
    StoreFixture.age(other, Duration.ofSeconds(5));
    try (StoreLayout neighbour = new StoreLayout(root); StoreLayout me = new StoreLayout(root)) {
      StoreFixture.age(claim, Leftovers.GRACE.plusMinutes(1));
      JobStore jobs = new LocalJobStore(neighbour, json);
      jobs.save(JobStoreTest.job("job-done", JobState.SUCCEEDED, Instant.EPOCH).withEndTime(Instant.EPOCH));
      jobs.save(JobStoreTest.job("job-live", JobState.RUNNING, Instant.EPOCH));
      Path doneMarker = write(root.resolve("jobs/job-done.cancel"));
      Path liveMarker = write(root.resolve("jobs/job-live.cancel"));
      Path noJobMarker = write(root.resolve("jobs/job-none.cancel"));
      Path deadStaging = write(root.resolve("staging").resolve(dead).resolve("upload/data"));
      Path liveStaging = write(neighbour.staging().resolve("upload/data"));

      new StoreSweeper(me).sweep();

      assertFalse(Files.exists(claim));
      assertTrue(Files.exists(other), "not a dataset id: not the store's");
      assertFalse(Files.exists(doneMarker));
      assertFalse(Files.exists(noJobMarker));
      assertTrue(Files.exists(liveMarker), "its owner will read it");
      assertFalse(Files.exists(root.resolve("staging").resolve(dead)));
      assertFalse(Files.exists(deadStaging));
      assertTrue(Files.exists(liveStaging));
    }
  }

  private static Path write(Path file) throws IOException {
    Files.createDirectories(file.getParent());
    Files.writeString(file, "x");
    return file;
  }
}
