package dev.graft.server.core.jobs;

import dev.graft.server.core.Limits;
import dev.graft.server.core.store.JobRecord;
import dev.graft.server.core.store.JobStore;
import dev.graft.server.core.store.StoreLayout;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.inject.Inject;
import javax.inject.Named;
import javax.inject.Singleton;

/**
 * How long job checkpoints ({@code checkpoints/<job-id>/}) stay in the store.
 *
 * <ul>
 *   <li>When a job SUCCEEDS, {@code keep-checkpoints} applies: {@code all} keeps its folder as is;
 *       {@code best} keeps only {@code best/} (a folder without {@code best/}, of a strategy with
 *       another layout, is kept whole; an empty one is removed); {@code none} removes the folder.
 *       Failed and cancelled jobs keep theirs, for {@code resume_from}.
 *   <li>{@link #sweep} removes the folders of jobs that ended more than
 *       {@code checkpoint-max-age-days} ago, whatever their outcome, and folders without a job
 *       record last modified that long ago. Jobs still queued or running are never touched. It runs
 *       at start-up and every hour ({@link #start}); an age of 0 turns it off.
 * </ul>
 *
 * A folder (or, for {@code best}, each sibling of {@code best/}) is first renamed into this
 * instance's staging folder and then deleted, so readers see it whole or not at all, and a crash
 * mid-delete leaves the remains where the next start wipes them. Failures are logged, never thrown.
 * Thread-safe.
 */
@Singleton
public final class CheckpointRetention {
  static final Duration SWEEP_INTERVAL = Duration.ofHours(1);
  static final String BEST = "best";
  private static final System.Logger LOG = System.getLogger(CheckpointRetention.class.getName());
  private static final Pattern JOB_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,127}");

  private final StoreLayout layout;
  private final JobStore jobs;
  private final Limits limits;
  private final Clock clock;
  private final ScheduledExecutorService timer;
  private ScheduledFuture<?> sweeps;

  @Inject
  public CheckpointRetention(StoreLayout layout, JobStore jobs, Limits limits, Clock clock,
      @Named("housekeeping") ScheduledExecutorService timer) {
    this.layout = layout;
    this.jobs = jobs;
    this.limits = limits;
    this.clock = clock;
    this.timer = timer;
  }

  /** Applies {@code keep-checkpoints} to the folder of a job that has just succeeded. */
  public void succeeded(String jobId) {
    if (!JOB_ID.matcher(jobId).matches()) {
      return;
    }
    Path dir = layout.checkpoints().resolve(jobId);
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try {
      switch (limits.keepCheckpoints()) {
        case ALL -> { }
        case NONE -> remove(dir);
        case BEST -> {
          List<Path> entries = list(dir);
          if (entries.isEmpty()) {
            remove(dir);
          } else if (Files.isDirectory(dir.resolve(BEST), LinkOption.NOFOLLOW_LINKS)) {
            for (Path entry : entries) {
              if (!entry.getFileName().toString().equals(BEST)) {
                remove(entry);
              }
            }
          }
        }
        default -> throw new IllegalStateException(limits.keepCheckpoints().name());
      }
    } catch (IOException | RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "cannot apply keep-checkpoints=" + limits.keepCheckpoints().name()
          .toLowerCase(java.util.Locale.ROOT) + " to " + dir + ": " + e);
    }
  }

  /**
   * Sweeps now (on the timer, so start-up does not wait) and then every hour, unless
   * {@code checkpoint-max-age-days} is 0. The timer's owner stops it at shutdown.
   */
  public synchronized void start() {
    if (sweeps != null || limits.checkpointMaxAge().isZero()) {
      return;
    }
    try {
      sweeps = timer.scheduleWithFixedDelay(() -> {
        try {
          sweep();
        } catch (RuntimeException e) {
          LOG.log(System.Logger.Level.WARNING, "checkpoint sweep failed: " + e);
        }
      }, 0, SWEEP_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException stopping) {
      // the server is shutting down
    }
  }

  /**
   * Removes the checkpoints of jobs that ended more than {@code checkpoint-max-age-days} ago, and
   * of folders without a job record modified that long ago. Returns the folder names removed.
   */
  List<String> sweep() {
    Duration maxAge = limits.checkpointMaxAge();
    List<String> removed = new ArrayList<>();
    if (maxAge.isZero()) {
      return removed;
    }
    Instant cutoff = clock.instant().minus(maxAge);
    List<Path> folders;
    try {
      folders = list(layout.checkpoints());
    } catch (IOException e) {
      LOG.log(System.Logger.Level.WARNING, "cannot list " + layout.checkpoints() + ": " + e);
      return removed;
    }
    for (Path dir : folders) {
      String id = dir.getFileName().toString();
      if (!JOB_ID.matcher(id).matches() || !Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
        continue;
      }
      try {
        Optional<JobRecord> job = jobs.find(id);
        if (job.isPresent() && !job.get().state().terminal()) {
          continue;
        }
        Instant ended = job.map(JobRecord::endTime).orElse(null);
        if (ended == null) {
          ended = Files.getLastModifiedTime(dir, LinkOption.NOFOLLOW_LINKS).toInstant();
        }
        if (ended.isBefore(cutoff)) {
          remove(dir);
          removed.add(id);
        }
      } catch (IOException | RuntimeException e) {
        LOG.log(System.Logger.Level.WARNING, "cannot sweep checkpoints " + dir + ": " + e);
      }
    }
    if (!removed.isEmpty()) {
      LOG.log(System.Logger.Level.INFO, "removed the checkpoints of " + removed.size() + " job(s) that ended more than "
          + maxAge.toDays() + " day(s) ago (checkpoint-max-age-days): " + removed);
    }
    return removed;
  }

  private static List<Path> list(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.toList();
    }
  }

  /** Renames {@code path} into staging in one step, then deletes it. */
  private void remove(Path path) throws IOException {
    Path trash = layout.staging().resolve("checkpoints-" + UUID.randomUUID());
    try {
      Files.move(path, trash, StandardCopyOption.ATOMIC_MOVE);
    } catch (java.nio.file.NoSuchFileException gone) {
      return;
    } catch (java.nio.file.AtomicMoveNotSupportedException otherFileSystem) {
      trash = path; // checkpoints/ mounted elsewhere: delete in place
    }
    try (Stream<Path> files = Files.walk(trash)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
