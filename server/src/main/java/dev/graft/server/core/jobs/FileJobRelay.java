package dev.graft.server.core.jobs;

import com.google.gson.JsonElement;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.graft.server.core.store.AtomicFiles;
import dev.graft.server.core.store.JobRecord;
import dev.graft.server.core.store.JobStore;
import dev.graft.server.core.store.LocalJobStore;
import dev.graft.server.core.store.StoreLayout;
import dev.graft.spi.GraftException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The {@link JobRelay} of replicas sharing a folder, through files alone:
 *
 * <ul>
 *   <li><b>watch</b>: polls the job's persisted record every {@code interval} and passes on each
 *       change until the job is terminal. Only persisted changes are seen (state changes and
 *       epochs, not step progress). If the owner is no longer alive, the job is recovered as
 *       FAILED ({@link JobStore#recoverAfterRestart}), which ends the watch.
 *   <li><b>cancel</b>: writes a marker {@code jobs/<id>.cancel}; the owner's relay looks for
 *       markers of its live jobs every {@code interval}, cancels the job and deletes the marker.
 * </ul>
 *
 * <p>Thread-safe. One daemon thread runs every poll; {@link #close()} stops it (watches then
 * get no more events).
 */
public final class FileJobRelay implements JobRelay {
  static final String CANCEL_SUFFIX = LocalJobStore.CANCEL_SUFFIX;
  /** How often a replica looks for changes: 1 s. */
  public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(1);
  private static final System.Logger LOG = System.getLogger(FileJobRelay.class.getName());

  private final JobStore store;
  private final StoreLayout layout;
  private final Duration interval;
  private final ScheduledExecutorService timer;

  public FileJobRelay(JobStore store, StoreLayout layout, Duration interval) {
    this.store = store;
    this.layout = layout;
    this.interval = interval;
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "graft-job-relay");
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * Starts looking for cancel markers of this replica's live jobs; {@code cancel} is called with
   * the id of each job a marker asks to stop.
   */
  @Override
  public void relayCancels(Supplier<Iterable<String>> liveIds, Consumer<String> cancel) {
    timer.scheduleWithFixedDelay(() -> {
      for (String id : liveIds.get()) {
        Path marker = marker(id);
        if (Files.exists(marker)) {
          LOG.log(System.Logger.Level.INFO, "job " + id + ": cancel requested through the store");
          cancel.accept(id);
          deleteQuietly(marker);
        }
      }
    }, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * Sends {@code first} (the job as read now, not terminal) to {@code watcher}, then every change
   * of its persisted record until it is terminal. Returns an action that stops watching.
   */
  @Override
  public Runnable watch(JobRecord first, Consumer<JobEvent> watcher) {
    watcher.accept(new JobEvent(first, "current state: " + first.state() + " (on another replica)"));
    Poll poll = new Poll(first, watcher);
    ScheduledFuture<?> task = timer.scheduleWithFixedDelay(poll, interval.toMillis(), interval.toMillis(),
        TimeUnit.MILLISECONDS);
    poll.task = task;
    return () -> task.cancel(false);
  }

  /**
   * Asks the owner of {@code job} (not terminal, not live here) to cancel it; returns the job as
   * it is now. A job whose owner is gone is recovered as FAILED instead.
   */
  @Override
  public JobRecord requestCancel(JobRecord job) {
    if (!ownerAlive(job.id())) {
      return recover(job.id()).orElse(job);
    }
    try {
      AtomicFiles.write(marker(job.id()), Instant.now().toString().getBytes(StandardCharsets.UTF_8),
          layout.instanceId());
    } catch (IOException e) {
      throw GraftException.internal("STORE_IO", "cannot request cancel of job " + job.id() + ": " + e.getMessage(), e);
    }
    // The owner may have finished meanwhile and will never read the marker.
    JobRecord now = store.find(job.id()).orElse(job);
    if (now.state().terminal()) {
      deleteQuietly(marker(job.id()));
    }
    return now;
  }

  /** Removes a job's cancel marker, if any (when the job ends). */
  @Override
  public void forget(String id) {
    deleteQuietly(marker(id));
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }

  private Path marker(String id) {
    return marker(layout, id);
  }

  /** The file a cancel request for job {@code id} writes: {@code jobs/<id>.cancel}. */
  static Path marker(StoreLayout layout, String id) {
    return layout.jobs().resolve(id + CANCEL_SUFFIX);
  }

  /** Whether the store instance that last wrote the job still runs. */
  private boolean ownerAlive(String id) {
    Path file = layout.jobs().resolve(id + ".json");
    try {
      JsonElement tree = JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8));
      JsonElement owner = tree.isJsonObject() ? tree.getAsJsonObject().get("owner") : null;
      return owner != null && owner.isJsonPrimitive() && layout.isAlive(owner.getAsString());
    } catch (NoSuchFileException e) {
      return false;
    } catch (IOException | JsonParseException | IllegalStateException e) {
      return true; // unreadable for a moment: assume alive, look again on the next poll
    }
  }

  /** Fails the job if its owner is gone (as a restart would), and returns it as stored now. */
  private Optional<JobRecord> recover(String id) {
    store.recoverAfterRestart();
    return store.find(id);
  }

  private static void deleteQuietly(Path p) {
    try {
      Files.deleteIfExists(p);
    } catch (IOException e) {
      LOG.log(System.Logger.Level.WARNING, "cannot delete " + p + ": " + e);
    }
  }

  /** One remote watch: the last record passed on, and the scheduled task that polls. */
  private final class Poll implements Runnable {
    private final Consumer<JobEvent> watcher;
    private JobRecord last;
    private volatile ScheduledFuture<?> task;

    Poll(JobRecord first, Consumer<JobEvent> watcher) {
      this.last = first;
      this.watcher = watcher;
    }

    @Override
    public void run() {
      try {
        Optional<JobRecord> now = store.find(last.id());
        if (now.isPresent() && !now.get().state().terminal() && !ownerAlive(last.id())) {
          now = recover(last.id());
        }
        if (now.isEmpty() || now.get().equals(last)) {
          return;
        }
        JobRecord previous = last;
        last = now.get();
        watcher.accept(new JobEvent(last, describe(previous, last)));
        if (last.state().terminal()) {
          ScheduledFuture<?> t = task;
          if (t != null) {
            t.cancel(false);
          }
        }
      } catch (RuntimeException e) {
        LOG.log(System.Logger.Level.WARNING, "polling job " + last.id() + " failed; trying again", e);
      }
    }
  }

  /**
   * The human-readable line of a change of another replica's job seen in the store (every relay
   * uses it, so watchers read the same words on either backend).
   */
  public static String describe(JobRecord before, JobRecord now) {
    String suffix = " (on another replica)";
    return switch (now.state()) {
      case SUCCEEDED -> "succeeded: model " + now.resultModel() + suffix;
      case FAILED -> "failed: " + (now.error() == null ? "unknown error" : now.error().message()) + suffix;
      case CANCELLED -> "cancelled" + suffix;
      default -> before.state() != now.state()
          ? now.state().name().toLowerCase(Locale.ROOT) + (now.device().isEmpty() ? "" : " on " + now.device())
              + suffix
          : "epoch " + now.progress().epoch() + "/" + now.progress().totalEpochs() + suffix;
    };
  }
}
