package dev.graft.server.core.jobs;

import dev.graft.server.core.Limits;
import dev.graft.server.core.store.JobError;
import dev.graft.server.core.store.JobProgress;
import dev.graft.server.core.store.JobRecord;
import dev.graft.server.core.store.JobState;
import dev.graft.server.core.store.JobStore;
import dev.graft.server.core.store.ModelStore;
import dev.graft.server.core.store.StoreLayout;
import dev.graft.server.engine.ModelRuntime;
import dev.graft.server.scheduler.DeviceScheduler;
import dev.graft.server.scheduler.ScheduledWork;
import dev.graft.server.scheduler.WorkRequest;
import dev.graft.server.security.Principal;
import dev.graft.server.telemetry.JobTelemetry;
import dev.graft.spi.ErrorKind;
import dev.graft.spi.GraftException;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import javax.inject.Inject;
import javax.inject.Singleton;

/**
 * Training jobs: creates them (QUEUED at once), hands them to the scheduler, tracks them while
 * they live in this process, cancels them and lets callers watch them. Finished jobs are read
 * from the job store. Jobs owned by another replica sharing the store are watched and cancelled
 * through it ({@link JobRelay}). Thread-safe; {@link #shutdown} stops the relay's thread.
 */
@Singleton
public final class JobManager {

  private final JobPreparer preparer;
  private final JobStore store;
  private final ModelStore models;
  private final ModelRuntime runtime;
  private final DeviceScheduler scheduler;
  private final FeatureCache cache;
  private final StoreLayout layout;
  private final Clock clock;
  private final Limits limits;
  private final CheckpointRetention retention;
  private final JobTelemetry telemetry;
  private final Map<String, JobHandle> live = new ConcurrentHashMap<>();
  private final JobRelay relay;
  private final Optional<ClusterJobs> cluster;
  private volatile boolean stopping;

  @Inject
  public JobManager(JobPreparer preparer, JobStore store, ModelStore models, ModelRuntime runtime,
      DeviceScheduler scheduler, FeatureCache cache, StoreLayout layout, Clock clock, Limits limits,
      CheckpointRetention retention, JobTelemetry telemetry, JobRelay relay, Optional<ClusterJobs> cluster) {
    this.preparer = preparer;
    this.store = store;
    this.models = models;
    this.runtime = runtime;
    this.scheduler = scheduler;
    this.cache = cache;
    this.layout = layout;
    this.clock = clock;
    this.limits = limits;
    this.retention = retention;
    this.telemetry = telemetry;
    this.relay = relay;
    this.cluster = cluster;
    relay.relayCancels(live::keySet, id -> {
      JobHandle handle = live.get(id);
      if (handle != null) {
        handle.requestCancel();
      }
    });
  }

  /**
   * Validates and queues a job; returns it as created, in state QUEUED. Throws INVALID_ARGUMENT, NOT_FOUND, FAILED_PRECONDITION for bad requests and
   * RESOURCE_EXHAUSTED when the pool's queue is full or the principal has
   * {@code max-jobs-per-principal} jobs queued or running on this replica; no job exists then.
   */
  public JobRecord submit(TrainCommand command) {
    if (stopping) {
      throw new GraftException(ErrorKind.UNAVAILABLE, "SHUTTING_DOWN", "the server is shutting down; try another replica");
    }
    PreparedJob job = preparer.prepare(command);
    checkJobQuota(command.principal());
    String id = "job-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong()).substring(4);
    String pool = command.devicePool().isEmpty() ? scheduler.defaultPool() : command.devicePool();
    JobRecord initial = new JobRecord(id, JobState.QUEUED, job.base().ref(), job.strategy().id(),
        job.outputModel(), "", job.task().task(), trainSource(command), validationSource(command),
        command.validationSplit(), command.hyperparameters(), pool, "", command.priority(), command.labels(),
        JobProgress.none(), List.of(), null, clock.instant(), null, null, command.principal().name());
    if (cluster.isPresent() && cluster.get().accepts(command)) {
      return enqueue(cluster.get(), initial, command);
    }
    JobHandle handle = new JobHandle(initial, store);
    live.put(id, handle);
    start(handle, job, () -> {});
    synchronized (handle) {
      if (handle.current().state() == JobState.QUEUED) {
        handle.persist();
      }
    }
    return initial; // the job as created: QUEUED, even if a device picked it up already
  }

  /** Saves the job and puts it in the cluster's queue, for the first replica with a free slot. */
  private JobRecord enqueue(ClusterJobs c, JobRecord initial, TrainCommand command) {
    c.checkRoom(initial.devicePool());
    store.save(initial);
    try {
      c.enqueue(initial, command);
    } catch (GraftException e) {
      store.save(initial.withState(JobState.FAILED).withEndTime(clock.instant()).withError(JobError.of(e)));
      throw e;
    }
    return initial;
  }

  /**
   * Runs a job this replica claimed from the cluster's queue: prepared again here (its data and
   * base model are read from the shared store), resumed from its checkpoint copy when another
   * replica died running it, and its checkpoints copied to object storage after each epoch.
   */
  private void runClaimed(ClusterJobs.ClaimedJob claimed) {
    ClusterJobs c = cluster.orElseThrow();
    JobRecord record = claimed.record();
    String id = record.id();
    PreparedJob job;
    try {
      if (stopping) {
        throw new GraftException(ErrorKind.UNAVAILABLE, "SHUTTING_DOWN", "the server is shutting down");
      }
      job = preparer.prepare(claimed.command());
      Optional<String> resume = c.restoreCheckpoint(claimed);
      if (resume.isPresent()) {
        job = job.resumingFrom(resume.get());
      }
    } catch (GraftException e) {
      store.save(record.withState(JobState.FAILED).withEndTime(clock.instant()).withError(JobError.of(e)));
      c.finished(id);
      return;
    }
    JobHandle handle = new JobHandle(record, store);
    live.put(id, handle);
    Runnable stopFollowing = c.followCheckpoints(id, handle);
    try {
      start(handle, job, () -> {
        stopFollowing.run();
        c.finished(id);
      });
    } catch (RuntimeException e) {
      live.remove(id);
      stopFollowing.run();
      store.save(record.withState(JobState.FAILED).withEndTime(clock.instant())
          .withError(e instanceof GraftException g ? JobError.of(g)
              : new JobError(ErrorKind.INTERNAL, "SCHEDULING_FAILED", String.valueOf(e))));
      c.finished(id);
      return;
    }
    synchronized (handle) {
      if (handle.current().state() == JobState.QUEUED) {
        handle.persist(); // this replica owns the job from now on
      }
    }
  }

  /**
   * Hands a live job to the scheduler; {@code onEnd} runs once it ended, whatever the outcome.
   *
   * @throws GraftException RESOURCE_EXHAUSTED when the pool's queue here is full
   */
  private void start(JobHandle handle, PreparedJob job, Runnable onEnd) {
    JobRecord initial = handle.current();
    String id = initial.id();
    TrainingRun run = new TrainingRun(handle, job, models, runtime, cache, layout, retention, clock, telemetry,
        io.opentelemetry.context.Context.current());
    ScheduledWork<JobRecord> work;
    try {
      work = scheduler.submit(new WorkRequest(id, initial.devicePool(), initial.priority(), 0), run::run);
    } catch (RuntimeException e) {
      live.remove(id);
      throw e;
    }
    handle.onCancel(() -> {
      if (work.cancelIfQueued()) {
        JobError shutdown = handle.shutdownError();
        handle.update(r -> r.withState(shutdown != null ? JobState.FAILED : JobState.CANCELLED)
                .withEndTime(clock.instant())
                .withError(shutdown != null ? shutdown
                    : new JobError(ErrorKind.CANCELLED, "JOB_CANCELLED", "cancelled while queued")),
            shutdown != null ? "failed: " + shutdown.message() : "cancelled while queued", true);
      }
    });
    work.result().whenComplete((r, e) -> {
      // A queued job removed by cancel or shutdown was already recorded by the cancel action.
      if (e != null && !(e instanceof java.util.concurrent.CancellationException)) {
        GraftException g = e.getCause() instanceof GraftException ge ? ge : null;
        handle.update(rec -> rec.withState(JobState.FAILED).withEndTime(clock.instant())
            .withError(g != null ? new JobError(g.kind(), g.reason(), g.getMessage())
                : new JobError(ErrorKind.INTERNAL, "SCHEDULING_FAILED", String.valueOf(e))),
            "failed before it ran", true);
      }
      live.remove(id);
      relay.forget(id);
      onEnd.run();
    });
  }

  private static String trainSource(TrainCommand c) {
    return source(c.train());
  }

  private static String validationSource(TrainCommand c) {
    return c.validation().map(JobManager::source).orElse("");
  }

  private static String source(TrainCommand.DataRef ref) {
    return ref instanceof TrainCommand.DataRef.Dataset d ? d.idOrName() : "inline";
  }

  /** The job as it is now; NOT_FOUND when no such job exists. */
  public JobRecord get(String id) {
    return find(id).orElseThrow(() -> GraftException.notFound("JOB_NOT_FOUND", "no job '" + id + "'"));
  }

  public Optional<JobRecord> find(String id) {
    JobHandle handle = live.get(id);
    return handle != null ? Optional.of(handle.current()) : store.find(id);
  }

  /** Every job known to the store, newest first, with live state for this process's jobs. */
  public List<JobRecord> list() {
    return store.list().stream().map(r -> Optional.ofNullable(live.get(r.id())).map(JobHandle::current).orElse(r))
        .toList();
  }

  /**
   * Asks a job to stop; returns it as it is right after the request. A job running on another
   * replica is asked through the store: its owner stops it within about a second, so the record
   * returned may still say QUEUED or RUNNING.
   */
  public JobRecord cancel(String id) {
    JobHandle handle = live.get(id);
    if (handle == null) {
      JobRecord stored = get(id);
      if (stored.state().terminal()) {
        return stored;
      }
      if (cluster.isPresent() && stored.state() == JobState.QUEUED && cluster.get().removeIfUnclaimed(id)) {
        JobRecord cancelled = stored.withState(JobState.CANCELLED).withEndTime(clock.instant())
            .withError(new JobError(ErrorKind.CANCELLED, "JOB_CANCELLED", "cancelled while queued"));
        store.save(cancelled);
        return cancelled;
      }
      return relay.requestCancel(stored);
    }
    handle.requestCancel();
    return handle.current();
  }

  /**
   * Sends the job's current state to {@code watcher}, then each change until it ends. Returns an
   * action that stops watching. NOT_FOUND for an unknown job. A job of another replica is
   * followed by polling its persisted record (state changes and epochs, about once a second).
   */
  public Runnable watch(String id, Consumer<JobEvent> watcher) {
    JobHandle handle = live.get(id);
    if (handle != null) {
      return handle.watch(watcher);
    }
    JobRecord stored = get(id);
    if (!stored.state().terminal()) {
      return relay.watch(stored, watcher);
    }
    watcher.accept(new JobEvent(stored, "current state: " + stored.state()));
    return () -> {};
  }

  /**
   * With a shared store, starts taking jobs from the cluster's queue (after recovery, once the
   * server is up); without one, does nothing.
   */
  public void startClaiming() {
    cluster.ifPresent(c -> c.start(this::runClaimed));
  }

  /** Jobs waiting and running per pool across the cluster, with a shared store; else empty. */
  public Map<String, dev.graft.server.core.store.JobQueue.Depth> clusterQueue() {
    return cluster.map(ClusterJobs::depth).orElse(Map.of());
  }

  /**
   * Refuses new jobs (UNAVAILABLE SHUTTING_DOWN), stops every live job (each ends FAILED with
   * reason SERVER_SHUTDOWN, so nothing is silently lost, and its watchers get that last event),
   * stops relaying, and waits up to {@code grace} for running jobs to end. The scheduler stays
   * open for in-flight inference; its owner closes it.
   */
  public void shutdown(Duration grace) throws InterruptedException {
    stopping = true;
    cluster.ifPresent(ClusterJobs::close);
    JobError error = new JobError(ErrorKind.UNAVAILABLE, "SERVER_SHUTDOWN", "server shutting down");
    live.values().forEach(h -> h.requestShutdown(error));
    relay.close();
    scheduler.awaitIdle(grace);
  }

  /** Authenticated principals may have at most {@code max-jobs-per-principal} live jobs here. */
  private void checkJobQuota(Principal principal) {
    if (!principal.authenticated()) {
      return;
    }
    long mine = live.values().stream()
        .map(JobHandle::current)
        .filter(r -> !r.state().terminal() && r.createdBy().equals(principal.name()))
        .count();
    if (mine >= limits.maxJobsPerPrincipal()) {
      throw GraftException.resourceExhausted("TOO_MANY_JOBS", "principal '" + principal.name() + "' has " + mine
          + " jobs queued or running, the most max-jobs-per-principal=" + limits.maxJobsPerPrincipal()
          + " allows; wait for one to end or cancel one");
    }
  }

}
