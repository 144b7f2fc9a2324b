package dev.graft.server.core.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.graft.server.core.store.CheckpointStore;
import dev.graft.server.core.store.JobProgress;
import dev.graft.server.core.store.JobQueue;
import dev.graft.server.core.store.JobRecord;
import dev.graft.server.core.store.JobState;
import dev.graft.server.core.store.JobStore;
import dev.graft.server.core.store.JsonCodec;
import dev.graft.server.core.store.ModelStore;
import dev.graft.server.core.store.StoreLayout;
import dev.graft.server.scheduler.DeviceScheduler;
import dev.graft.server.scheduler.DeviceSpec;
import dev.graft.server.scheduler.PoolSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The checkpoint copies {@link ClusterJobs} takes of a running job: as epoch e starts, the folder
 * holds epoch e-1's checkpoint and is copied as epoch e-1 (the label a resumed job logs and
 * continues after); a folder replaced before its copy was taken is dropped, not kept under an
 * older epoch's label. The folder is replaced as the training kit does it: a new folder renamed
 * into place.
 */
class ClusterJobsCheckpointCopyTest {
  @TempDir Path tmp;

  /** Keeps "epoch:content" per copy; a save counts down {@link #entered}, then waits while {@link #hold} is closed. */
  static final class Kept implements CheckpointStore {
    final BlockingQueue<String> saved = new LinkedBlockingQueue<>();
    volatile CountDownLatch entered = new CountDownLatch(1);
    volatile CountDownLatch hold = new CountDownLatch(0);

    @Override
    public void save(String jobId, int epoch, Path folder) {
      try {
        entered.countDown();
        hold.await(30, TimeUnit.SECONDS);
        saved.add(epoch + ":" + Files.readString(folder.resolve("weights")));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    @Override
    public OptionalInt restore(String jobId, Path target) {
      return OptionalInt.empty();
    }

    @Override
    public void delete(String jobId) {}
  }

  @Test
  void eachCopyCarriesTheEpochItHoldsAndAReplacedFolderIsDropped() throws Exception {
    Kept kept = new Kept();
    try (StoreLayout layout = new StoreLayout(tmp.resolve("store"));
        DeviceScheduler scheduler = new DeviceScheduler(
            List.of(new PoolSpec("default", List.of(new DeviceSpec("cpu", 1, 1, 0)), 4)), "default");
        ClusterJobs cluster = new ClusterJobs(unused(JobQueue.class), kept, unused(JobStore.class),
            unused(ModelStore.class), scheduler, layout, new JsonCodec(), Clock.systemUTC(),
            new ClusterJobs.Settings(Duration.ofSeconds(1), Duration.ofSeconds(5), 3,
                ClusterJobs.LostJobPolicy.RESUME, 4))) {
      JobHandle job = new JobHandle(record(), unused(JobStore.class));
      Path folder = layout.checkpoints().resolve("job-1");
      cluster.followCheckpoints("job-1", job);

      startEpoch(job, 1); // nothing saved yet
      save(folder, 1);
      startEpoch(job, 2);
      assertEquals("1:epoch 1", kept.saved.poll(10, TimeUnit.SECONDS));

      // The uploader is busy with epoch 2's copy while epochs 3 and 4 end: the folder seen as
      // epoch 4 started (epoch 3's) is gone by the time its copy is taken.
      kept.hold = new CountDownLatch(1);
      kept.entered = new CountDownLatch(1);
      save(folder, 2);
      startEpoch(job, 3);
      kept.entered.await(10, TimeUnit.SECONDS); // epoch 2's copy taken, its upload held
      save(folder, 3);
      startEpoch(job, 4);
      save(folder, 4);
      kept.hold.countDown();
      assertEquals("2:epoch 2", kept.saved.poll(10, TimeUnit.SECONDS));
      startEpoch(job, 5);
      assertEquals("4:epoch 4", kept.saved.poll(10, TimeUnit.SECONDS), "epoch 3's copy held epoch 4's files");
      assertNull(kept.saved.poll(200, TimeUnit.MILLISECONDS));
    }
  }

  private static JobRecord record() {
    return new JobRecord("job-1", JobState.RUNNING, "m@1", "knowledge-transfer", "out", "", null, "ds-1", "", 0f,
        null, "default", "cpu", 0, Map.of(), JobProgress.none(), List.of(), null, Instant.EPOCH, null, null, "");
  }

  /** The first step of an epoch, as the training kit reports it. */
  private static void startEpoch(JobHandle job, int epoch) {
    job.update(r -> r.withProgress(r.progress().at(epoch, 100, epoch, 100, epoch / 100.0, 0)),
        "epoch " + epoch + " step 1", false);
  }

  /** An epoch's checkpoint as the training kit writes it: a new folder renamed over last/. */
  private static void save(Path jobFolder, int epoch) throws IOException {
    Path fresh = Files.createDirectories(jobFolder.resolve("last.tmp"));
    Files.writeString(fresh.resolve("weights"), "epoch " + epoch);
    Path last = jobFolder.resolve("last");
    Path old = jobFolder.resolve("last.old");
    if (Files.exists(last)) {
      Files.move(last, old, StandardCopyOption.ATOMIC_MOVE);
    }
    Files.move(fresh, last, StandardCopyOption.ATOMIC_MOVE);
    if (Files.exists(old)) {
      Files.delete(old.resolve("weights"));
      Files.delete(old);
    }
  }

  @SuppressWarnings("unchecked")
  private static <T> T unused(Class<T> type) {
    return (T) Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (proxy, method, args) -> {
      if (method.getName().equals("toString")) {
        return "unused " + type.getSimpleName();
      }
      throw new UnsupportedOperationException(method.getName());
    });
  }
}
