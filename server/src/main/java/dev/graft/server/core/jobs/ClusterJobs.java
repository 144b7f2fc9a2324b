package dev.graft.server.core.jobs;

import com.google.gson.JsonParseException;
import dev.graft.server.core.store.CheckpointStore;
import dev.graft.server.core.store.FileTrees;
import dev.graft.server.core.store.JobError;
import dev.graft.server.core.store.JobQueue;
import dev.graft.server.core.store.JobRecord;
import dev.graft.server.core.store.JobState;
import dev.graft.server.core.store.JobStore;
import dev.graft.server.core.store.JsonCodec;
import dev.graft.server.core.store.ModelRecord;
import dev.graft.server.core.store.ModelStore;
import dev.graft.server.core.store.StoreLayout;
import dev.graft.server.scheduler.DeviceScheduler;
import dev.graft.server.scheduler.PoolSnapshot;
import dev.graft.spi.ErrorKind;
import dev.graft.spi.GraftException;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The cluster-wide job queue as the job layer uses it, on a shared store: jobs a replica accepts
 * wait in the store's {@link JobQueue}; this replica claims the next one of a pool whenever that
 * pool has a free training slot here, and hands it to {@link JobManager} to run. Every running
 * job's latest checkpoint is copied to object storage ({@link CheckpointStore}) after each epoch:
 * when epoch e starts, the strategy has saved epoch e-1's checkpoint (and replaces it only once e
 * ends), so that folder is copied and labelled e-1; a copy the strategy replaced while it was
 * being taken is dropped (the next epoch's copy carries a newer one), never kept half old, half new.
 *
 * <p>A job whose replica dies (its heartbeat lapses) is found by any live replica's sweep and,
 * under {@link LostJobPolicy#RESUME}, queued again: the replica that claims it next restores its
 * last checkpoint and resumes after that epoch (a strategy that keeps no checkpoints, feature
 * extraction, starts again); after {@code maxAttempts} claims, or under {@link
 * LostJobPolicy#FAIL}, it ends FAILED with reason {@value #REPLICA_LOST}. A job whose model was
 * published before its replica died is SUCCEEDED.
 *
 * <p>Thread-safe. One daemon thread claims and sweeps, one uploads checkpoints; {@link #close}
 * stops both.
 */
public final class ClusterJobs implements AutoCloseable {
  /** The reason of a job whose replica died and that was not (or no longer) re-queued. */
  public static final String REPLICA_LOST = "REPLICA_LOST";
  /** How often a replica with a free training slot looks for queued jobs. */
  public static final Duration DEFAULT_CLAIM_INTERVAL = Duration.ofMillis(500);
  /** How often jobs of dead replicas are looked for. */
  public static final Duration DEFAULT_SWEEP_INTERVAL = Duration.ofSeconds(5);
  private static final System.Logger LOG = System.getLogger(ClusterJobs.class.getName());
  private static final String CHECKPOINT_FOLDER = "last";

  /** What becomes of a job whose replica died. */
  public enum LostJobPolicy {
    /** Queued again; resumes from its last checkpoint in object storage. */
    RESUME,
    /** Ends FAILED, reason {@value ClusterJobs#REPLICA_LOST}. */
    FAIL;

    /** Parses "resume" or "fail". */
    public static LostJobPolicy parse(String text) {
      return switch (text.toLowerCase(java.util.Locale.ROOT)) {
        case "resume" -> RESUME;
        case "fail" -> FAIL;
        default -> throw new IllegalArgumentException("expected resume or fail");
      };
    }
  }

  /**
   * @param claimInterval how often free training slots look for queued jobs
   * @param sweepInterval how often jobs of dead replicas are looked for
   * @param maxAttempts the most times one job is claimed (lost and queued again in between)
   * @param capacity the most unclaimed jobs per pool across the cluster ({@code queue-capacity})
   */
  public record Settings(Duration claimInterval, Duration sweepInterval, int maxAttempts, LostJobPolicy policy,
      int capacity) {}

  private final JobQueue queue;
  private final CheckpointStore checkpoints;
  private final JobStore jobs;
  private final ModelStore models;
  private final DeviceScheduler scheduler;
  private final StoreLayout layout;
  private final JsonCodec json;
  private final Clock clock;
  private final Settings settings;
  private final ScheduledExecutorService timer;
  private final ExecutorService uploader;
  /** Per job, the epoch of the checkpoint copied last (or being copied). */
  private final Map<String, Integer> copied = new ConcurrentHashMap<>();
  private final Set<String> claimedHere = ConcurrentHashMap.newKeySet();

  public ClusterJobs(JobQueue queue, CheckpointStore checkpoints, JobStore jobs, ModelStore models,
      DeviceScheduler scheduler, StoreLayout layout, JsonCodec json, Clock clock, Settings settings) {
    this.queue = Objects.requireNonNull(queue, "queue");
    this.checkpoints = Objects.requireNonNull(checkpoints, "checkpoints");
    this.jobs = Objects.requireNonNull(jobs, "jobs");
    this.models = Objects.requireNonNull(models, "models");
    this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
    this.layout = Objects.requireNonNull(layout, "layout");
    this.json = Objects.requireNonNull(json, "json");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.settings = Objects.requireNonNull(settings, "settings");
    this.timer = Executors.newSingleThreadScheduledExecutor(daemon("graft-cluster-queue"));
    this.uploader = Executors.newSingleThreadExecutor(daemon("graft-checkpoint-copy"));
  }

  /** Whether {@code command} goes through the cluster's queue: all its data are stored datasets. */
  boolean accepts(TrainCommand command) {
    return QueuedCommand.travels(command);
  }

  /**
   * Checks there is room in the pool's queue across the cluster.
   *
   * @throws GraftException RESOURCE_EXHAUSTED QUEUE_FULL
   */
  void checkRoom(String pool) {
    JobQueue.Depth depth = queue.depth().get(pool);
    if (depth != null && depth.queued() >= settings.capacity()) {
      throw GraftException.resourceExhausted("QUEUE_FULL", "pool '" + pool + "' has " + depth.queued()
          + " jobs waiting across the cluster, the most queue-capacity=" + settings.capacity() + " allows; try later");
    }
  }

  /** Queues a job (its record is saved already) for any replica. */
  void enqueue(JobRecord job, TrainCommand command) {
    queue.enqueue(job.id(), job.devicePool(), job.priority(), QueuedCommand.encode(json, command),
        settings.capacity());
  }

  /** Takes an unclaimed job out of the queue (it is being cancelled); false if a replica claimed it. */
  boolean removeIfUnclaimed(String id) {
    return queue.removeIfUnclaimed(id);
  }

  /** Unclaimed and claimed jobs per pool across the cluster (empty if the store cannot say now). */
  public Map<String, JobQueue.Depth> depth() {
    try {
      return queue.depth();
    } catch (GraftException e) {
      return Map.of();
    }
  }

  /**
   * Starts claiming: each claimed job goes to {@code runner} (with its command decoded); a job whose
   * command cannot be read ends FAILED.
   */
  void start(Consumer<ClaimedJob> runner) {
    timer.scheduleWithFixedDelay(() -> claimAll(runner), 0, settings.claimInterval().toMillis(),
        TimeUnit.MILLISECONDS);
    timer.scheduleWithFixedDelay(this::sweep, settings.sweepInterval().toMillis(),
        settings.sweepInterval().toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * Restores the job's checkpoint from object storage when it is resumed here, into a folder
   * beside its own; returns that folder's id for {@code resume_from}, if there was a checkpoint.
   */
  Optional<String> restoreCheckpoint(ClaimedJob claimed) {
    if (claimed.attempt() <= 1) {
      return Optional.empty();
    }
    String resumeId = claimed.record().id() + "_r" + claimed.attempt();
    Path target = layout.checkpoints().resolve(resumeId).resolve(CHECKPOINT_FOLDER);
    OptionalInt epoch = checkpoints.restore(claimed.record().id(), target);
    if (epoch.isEmpty()) {
      return Optional.empty();
    }
    LOG.log(System.Logger.Level.INFO, "job " + claimed.record().id() + ": resuming after epoch " + epoch.getAsInt()
        + " from its checkpoint in object storage");
    return Optional.of(resumeId);
  }

  /**
   * Copies the job's checkpoint to object storage after each epoch, until it ends: at the first
   * event of epoch e (the job's progress names the epoch in progress), the checkpoint folder holds
   * epoch e-1's, which is copied as epoch e-1.
   */
  Runnable followCheckpoints(String id, JobHandle handle) {
    claimedHere.add(id);
    Path source = layout.checkpoints().resolve(id).resolve(CHECKPOINT_FOLDER);
    return handle.watch(event -> {
      int done = event.job().progress().epoch() - 1;
      if (!event.job().state().terminal() && done > 0 && !Objects.equals(copied.put(id, done), done)) {
        // Called on the training thread as epoch done+1 starts: the folder now is epoch done's.
        version(source).ifPresent(saved -> upload(() -> copyCheckpoint(id, done, saved)));
      }
    });
  }

  /** A job claimed here ended: it leaves the queue and its checkpoint copy goes. */
  void finished(String id) {
    claimedHere.remove(id);
    copied.remove(id);
    try {
      queue.finished(id);
    } catch (GraftException e) {
      LOG.log(System.Logger.Level.WARNING, "job " + id + " ended but could not leave the queue: " + e.getMessage());
    }
    Runnable forget = () -> {
      try {
        checkpoints.delete(id);
      } catch (GraftException e) {
        LOG.log(System.Logger.Level.WARNING, "cannot forget the checkpoint copy of job " + id + ": " + e.getMessage());
      }
    };
    if (!upload(forget)) {
      forget.run(); // closed (the server is stopping and its jobs end now): forget it here
    }
  }

  /** Runs {@code task} on the upload thread; false once closed (it does not run then). */
  private boolean upload(Runnable task) {
    try {
      uploader.execute(task);
      return true;
    } catch (RejectedExecutionException closed) {
      return false;
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
    uploader.shutdownNow();
  }

  // ---------------------------------------------------------------------------------------------

  private void claimAll(Consumer<ClaimedJob> runner) {
    try {
      for (PoolSnapshot pool : scheduler.snapshot()) {
        while (hasFreeSlot(pool.name())) {
          Optional<JobQueue.Claim> claim = queue.claim(pool.name());
          if (claim.isEmpty()) {
            break;
          }
          hand(claim.get(), runner);
        }
      }
    } catch (GraftException e) {
      LOG.log(System.Logger.Level.DEBUG, "cannot claim jobs now: " + e.getMessage());
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "claiming jobs failed", e);
    }
  }

  private boolean hasFreeSlot(String pool) {
    return scheduler.snapshot().stream().filter(p -> p.name().equals(pool)).findFirst()
        .map(p -> p.queued() == 0 && p.devices().stream().mapToInt(d -> d.trainingSlots() - d.runningJobs()).sum() > 0)
        .orElse(false);
  }

  private void hand(JobQueue.Claim claim, Consumer<ClaimedJob> runner) {
    Optional<JobRecord> record = jobs.find(claim.id());
    if (record.isEmpty() || record.get().state().terminal()) {
      LOG.log(System.Logger.Level.INFO, "job " + claim.id() + " left the queue: "
          + record.map(r -> "it is " + r.state()).orElse("it has no record"));
      queue.finished(claim.id());
      return;
    }
    TrainCommand command;
    try {
      command = QueuedCommand.decode(json, claim.command());
    } catch (JsonParseException | NullPointerException | IllegalArgumentException e) {
      jobs.save(record.get().withState(JobState.FAILED).withEndTime(clock.instant())
          .withError(new JobError(ErrorKind.INTERNAL, "UNREADABLE_QUEUED_JOB", "the queued job cannot be read: " + e)));
      queue.finished(claim.id());
      return;
    }
    runner.accept(new ClaimedJob(record.get(), command, claim.attempt()));
  }

  private void sweep() {
    try {
      for (JobQueue.Lost lost : queue.sweepLost(settings.policy() == LostJobPolicy.FAIL ? 1 : settings.maxAttempts())) {
        settle(lost);
      }
    } catch (GraftException e) {
      LOG.log(System.Logger.Level.DEBUG, "cannot look for lost jobs now: " + e.getMessage());
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "looking for lost jobs failed", e);
    }
  }

  /** Records what became of a job whose replica died. */
  private void settle(JobQueue.Lost lost) {
    Optional<JobRecord> found = jobs.find(lost.id());
    if (found.isEmpty()) {
      return;
    }
    JobRecord job = found.get();
    Optional<ModelRecord> published = models.list().stream()
        .filter(m -> m.jobId().equals(job.id()) && m.name().equals(job.outputModel()))
        .findFirst();
    if (published.isPresent()) {
      queue.finished(job.id());
      jobs.save(job.withState(JobState.SUCCEEDED).withResultModel(published.get().ref()).withError(null)
          .withFinalMetrics(published.get().metrics()).withEndTime(clock.instant()));
      LOG.log(System.Logger.Level.INFO, "job " + job.id() + ": replica " + lost.replica() + " stopped after publishing "
          + published.get().ref() + ": SUCCEEDED");
    } else if (lost.requeued()) {
      jobs.save(job.withState(JobState.QUEUED).withDevice(""));
      LOG.log(System.Logger.Level.WARNING, "job " + job.id() + ": replica " + lost.replica() + " stopped while it ran;"
          + " queued again (attempt " + (lost.attempts() + 1) + " of " + settings.maxAttempts() + ")");
    } else {
      String why = settings.policy() == LostJobPolicy.FAIL ? "lost-job-policy=fail"
          : "it was claimed " + lost.attempts() + " times, the most max-job-attempts=" + settings.maxAttempts() + " allows";
      jobs.save(job.withState(JobState.FAILED).withEndTime(clock.instant()).withError(new JobError(ErrorKind.UNAVAILABLE,
          REPLICA_LOST, "replica " + lost.replica() + " stopped while the job ran (" + why + ")")));
      checkpoints.delete(job.id());
      LOG.log(System.Logger.Level.WARNING, "job " + job.id() + ": replica " + lost.replica() + " stopped; FAILED ("
          + why + ")");
    }
  }

  /**
   * Copies {@code checkpoints/<id>/last} (replaced by renames while training runs) and keeps the
   * copy as epoch {@code epoch}'s, if the folder still is the one seen as that epoch ended
   * ({@code saved}) once copied: otherwise the copy may mix two epochs' files, or be a newer epoch
   * under an older label, and is dropped.
   */
  private void copyCheckpoint(String id, int epoch, Object saved) {
    if (!claimedHere.contains(id) || !Objects.equals(copied.get(id), epoch)) {
      return; // ended, or a newer epoch is queued behind this one
    }
    Path source = layout.checkpoints().resolve(id).resolve(CHECKPOINT_FOLDER);
    Path snapshot = layout.staging().resolve("checkpoint-" + UUID.randomUUID());
    try {
      boolean whole;
      try {
        copyTree(source, snapshot);
        whole = version(source).equals(Optional.of(saved));
      } catch (NoSuchFileException replaced) {
        whole = false;
      }
      if (!whole) {
        LOG.log(System.Logger.Level.DEBUG, "job " + id + ": the checkpoint of epoch " + epoch + " was replaced"
            + " while it was copied; the next epoch's copy carries a newer one");
        return;
      }
      checkpoints.save(id, epoch, snapshot);
    } catch (IOException | GraftException e) {
      LOG.log(System.Logger.Level.WARNING, "job " + id + ": cannot copy the checkpoint of epoch " + epoch
          + " to object storage (the job goes on; if its replica dies it resumes from an older one): " + e);
    } finally {
      try {
        FileTrees.deleteRecursively(snapshot);
      } catch (IOException e) {
        LOG.log(System.Logger.Level.DEBUG, "cannot delete " + snapshot + ": " + e);
      }
    }
  }

  /**
   * What tells one checkpoint folder from the next (each is a new folder renamed into place): its
   * file key (device and inode) and times; empty when there is none (a strategy that keeps no
   * checkpoints, or none saved yet).
   */
  private static Optional<Object> version(Path folder) {
    try {
      BasicFileAttributes a = Files.readAttributes(folder, BasicFileAttributes.class);
      return a.isDirectory()
          ? Optional.of(List.of(String.valueOf(a.fileKey()), a.creationTime(), a.lastModifiedTime()))
          : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  private static void copyTree(Path from, Path to) throws IOException {
    Files.walkFileTree(from, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
        Files.createDirectories(to.resolve(from.relativize(dir).toString()));
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        Files.copy(file, to.resolve(from.relativize(file).toString()), StandardCopyOption.REPLACE_EXISTING);
        return FileVisitResult.CONTINUE;
      }
    });
  }


  private static java.util.concurrent.ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }

  /** A job this replica claimed, with its command and how many times it has been claimed. */
  record ClaimedJob(JobRecord record, TrainCommand command, int attempt) {}
}
