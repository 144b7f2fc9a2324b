package dev.graft.server.core.store.sql;

import dev.graft.server.core.jobs.FileJobRelay;
import dev.graft.server.core.jobs.JobEvent;
import dev.graft.server.core.jobs.JobRelay;
import dev.graft.server.core.store.JobRecord;
import dev.graft.spi.GraftException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link JobRelay} of replicas sharing a database, through its notifications rather than
 * polling. One connection of its own {@code LISTEN}s on {@value Channels#JOBS} (every save of a
 * job, see {@link SqlJobStore}) and {@value Channels#JOB_CANCELS}:
 *
 * <ul>
 *   <li><b>watch</b>: on each notification of a watched job, reads its record and passes on the
 *       change, until it is terminal. A watched job whose owner is no longer alive is recovered
 *       ({@link SqlJobStore#recoverAfterRestart}), which ends the watch.
 *   <li><b>cancel</b>: {@link #requestCancel} inserts a row in {@code job_cancels} and notifies;
 *       the owner's relay deletes the row and cancels the job (once, however many times it sees
 *       the request).
 * </ul>
 *
 * <p>Nothing is lost while the connection is down: it reconnects with backoff, then reads every
 * watched job once, and a sweep every {@code sweep} (and right after each reconnect) acts on the
 * pending cancel requests of this replica's live jobs, checks the owners of watched jobs, and
 * deletes requests of jobs that are over.
 *
 * <p>Thread-safe. One daemon thread listens and calls the watchers and the cancel action;
 * {@link #close()} stops it (watches then get no more events) and closes the connection.
 */
public final class SqlJobRelay implements JobRelay {
  /** How often pending cancel requests and the owners of watched jobs are checked by default. */
  public static final Duration DEFAULT_SWEEP = Duration.ofSeconds(5);
  private static final Logger LOG = LoggerFactory.getLogger(SqlJobRelay.class);
  /** The longest wait for a notification, so that queued work and close are seen promptly. */
  private static final int WAIT_MILLIS = 200;
  private static final long FIRST_BACKOFF_MILLIS = 100;
  private static final long MAX_BACKOFF_MILLIS = 5_000;
  /** The listening connection's application_name, to tell it apart in pg_stat_activity. */
  static final String APPLICATION_NAME = "graft-listen";

  private final Database db;
  private final SqlJobStore store;
  private final Instances instances;
  private final long sweepNanos;
  private final Map<String, List<Watch>> watches = new ConcurrentHashMap<>();
  /** Watched jobs to read again on the listening thread (new watches, failed reads). */
  private final Queue<String> toRead = new ConcurrentLinkedQueue<>();
  /** Watched jobs whose last read failed, read again at the next sweep. */
  private final Set<String> retryLater = ConcurrentHashMap.newKeySet();
  private final Thread thread;
  private volatile CancelTarget cancels;
  private volatile boolean closed;

  /**
   * Starts listening.
   *
   * @param sweep how often pending cancels and the owners of watched jobs are checked
   */
  public SqlJobRelay(Database db, SqlJobStore store, Instances instances, Duration sweep) {
    this.db = Objects.requireNonNull(db, "db");
    this.store = Objects.requireNonNull(store, "store");
    this.instances = Objects.requireNonNull(instances, "instances");
    this.sweepNanos = sweep.toNanos();
    this.thread = new Thread(this::listen, "graft-job-relay");
    thread.setDaemon(true);
    thread.start();
  }

  /**
   * Cancels this replica's live jobs that another replica asked to stop: {@code cancel} is called
   * with each one's id, once per request.
   */
  @Override
  public void relayCancels(Supplier<Iterable<String>> liveIds, Consumer<String> cancel) {
    this.cancels = new CancelTarget(liveIds, cancel);
  }

  /**
   * Sends {@code first} (the job as read now, not terminal) to {@code watcher}, then every change
   * of its stored record until it is terminal. Returns an action that stops watching.
   */
  @Override
  public Runnable watch(JobRecord first, Consumer<JobEvent> watcher) {
    watcher.accept(new JobEvent(first, "current state: " + first.state() + " (on another replica)"));
    Watch watch = new Watch(first, watcher);
    watches.compute(first.id(), (id, list) -> {
      List<Watch> out = list == null ? new CopyOnWriteArrayList<>() : list;
      out.add(watch);
      return out;
    });
    toRead.add(first.id()); // it may have changed between the read of first and now
    return watch::stop;
  }

  /**
   * Asks the owner of {@code job} to cancel it; returns the job as it is now. A job whose owner
   * is not alive is recovered instead.
   *
   * @throws GraftException UNAVAILABLE STORE_UNAVAILABLE when the database cannot be reached
   */
  @Override
  public JobRecord requestCancel(JobRecord job) {
    String id = job.id();
    Optional<String> owner = store.owner(id);
    if (owner.isEmpty() || !instances.isAlive(owner.get())) {
      store.recoverAfterRestart();
      return store.find(id).orElse(job);
    }
    db.transaction("cannot request cancel of job " + id, c -> {
      try (PreparedStatement s = c.prepareStatement("INSERT INTO job_cancels (id, requested_at, requested_by)"
          + " VALUES (?, now(), ?) ON CONFLICT (id) DO UPDATE SET requested_at = now(),"
          + " requested_by = EXCLUDED.requested_by")) {
        s.setString(1, id);
        s.setString(2, instances.id());
        s.executeUpdate();
      }
      Channels.notify(c, Channels.JOB_CANCELS, id);
      return null;
    });
    // The owner may have finished meanwhile and will never act on the request.
    JobRecord now = store.find(id).orElse(job);
    if (now.state().terminal()) {
      forget(id);
    }
    return now;
  }

  /** Deletes the pending cancel request of job {@code id}, if any; a failure is logged (the sweep retries). */
  @Override
  public void forget(String id) {
    try {
      deleteRequest(id);
    } catch (GraftException e) {
      LOG.warn("cannot forget the cancel request of job {}: {}", id, e.getMessage());
    }
  }

  /** Stops the listening thread and closes its connection; watches get no more events. */
  @Override
  public void close() {
    closed = true;
    thread.interrupt();
    try {
      thread.join(Duration.ofSeconds(10).toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The listening thread: (re)connects, waits for notifications, sweeps. */
  private void listen() {
    Connection connection = null;
    long backoff = FIRST_BACKOFF_MILLIS;
    boolean lost = false;
    long nextSweep = System.nanoTime();
    while (!closed) {
      if (connection == null) {
        try {
          connection = subscribe();
          backoff = FIRST_BACKOFF_MILLIS;
          if (lost) {
            LOG.info("store {}: listening for job changes again", db);
            lost = false;
          }
          toRead.addAll(watches.keySet()); // changes while no one listened
          nextSweep = System.nanoTime();
        } catch (SQLException e) {
          if (!lost) {
            LOG.warn("store {}: cannot listen for job changes ({}); retrying", db, e.getMessage());
            lost = true;
          }
          pause(backoff);
          backoff = Math.min(backoff * 2, MAX_BACKOFF_MILLIS);
          continue;
        }
      }
      try {
        PGNotification[] received = connection.unwrap(PGConnection.class).getNotifications(WAIT_MILLIS);
        dispatch(received == null ? new PGNotification[0] : received);
        if (System.nanoTime() - nextSweep >= 0) {
          try (Statement s = connection.createStatement()) {
            s.execute("SELECT 1"); // a connection that died silently fails here
          }
          sweep();
          nextSweep = System.nanoTime() + sweepNanos;
        }
      } catch (SQLException e) {
        if (!closed) {
          LOG.warn("store {}: lost the connection listening for job changes ({}); reconnecting", db, e.getMessage());
          lost = true;
        }
        closeQuietly(connection);
        connection = null;
      } catch (RuntimeException e) {
        LOG.warn("store {}: relaying job changes failed ({}); trying again", db, e.toString());
        pause(backoff);
      }
    }
    closeQuietly(connection);
  }

  /** A new connection of its own, listening on both channels. */
  private Connection subscribe() throws SQLException {
    Connection c = db.dedicatedConnection();
    try (Statement s = c.createStatement()) {
      c.setClientInfo("ApplicationName", APPLICATION_NAME);
      s.execute("LISTEN " + Channels.JOBS);
      s.execute("LISTEN " + Channels.JOB_CANCELS);
      return c;
    } catch (SQLException e) {
      closeQuietly(c);
      throw e;
    }
  }

  /** Acts on a batch of notifications: each job read once, each cancel request acted on once. */
  private void dispatch(PGNotification[] received) {
    Set<String> changed = new LinkedHashSet<>();
    Set<String> cancelled = new LinkedHashSet<>();
    for (PGNotification n : received) {
      if (Channels.JOBS.equals(n.getName())) {
        changed.add(n.getParameter());
      } else if (Channels.JOB_CANCELS.equals(n.getName())) {
        cancelled.add(n.getParameter());
      }
    }
    for (String id; (id = toRead.poll()) != null; ) {
      changed.add(id);
    }
    for (String id : changed) {
      read(id);
    }
    if (!cancelled.isEmpty()) {
      CancelTarget target = cancels;
      if (target != null) {
        Set<String> live = target.live();
        for (String id : cancelled) {
          if (live.contains(id)) {
            cancel(target, id);
          }
        }
      }
    }
  }

  /** Reads a watched job and passes the change on; a failed read is tried again at the next sweep. */
  private void read(String id) {
    List<Watch> list = watches.get(id);
    if (list == null || list.isEmpty()) {
      return;
    }
    Optional<JobRecord> now;
    try {
      now = store.find(id);
    } catch (GraftException e) {
      LOG.warn("cannot read watched job {} ({}); trying again", id, e.getMessage());
      retryLater.add(id);
      return;
    }
    now.ifPresent(job -> list.forEach(w -> w.offer(job)));
  }

  /**
   * The slow path that catches what notifications missed: pending cancels of live jobs, watched
   * jobs whose owner died or whose read failed, requests of jobs that are over.
   */
  private void sweep() {
    CancelTarget target = cancels;
    if (target != null) {
      Set<String> live = target.live();
      if (!live.isEmpty()) {
        for (String id : pendingCancels(live)) {
          cancel(target, id);
        }
      }
    }
    Set<String> watched = new HashSet<>(watches.keySet());
    if (!watched.isEmpty() && !store.orphaned(watched).isEmpty()) {
      store.recoverAfterRestart();
      toRead.addAll(watched);
    }
    toRead.addAll(retryLater);
    retryLater.clear();
    db.transaction("cannot delete the cancel requests of jobs that are over", c -> {
      try (Statement s = c.createStatement()) {
        s.executeUpdate("DELETE FROM job_cancels r WHERE NOT EXISTS (SELECT 1 FROM jobs j WHERE j.id = r.id"
            + " AND j.state IN " + SqlJobStore.UNFINISHED + ")");
      }
      return null;
    });
  }

  private Set<String> pendingCancels(Set<String> live) {
    return db.read("cannot read the pending cancel requests", c -> {
      Set<String> out = new LinkedHashSet<>();
      try (PreparedStatement s = c.prepareStatement("SELECT id FROM job_cancels WHERE id = ANY(?) ORDER BY requested_at")) {
        s.setArray(1, c.createArrayOf("text", live.toArray()));
        try (ResultSet rs = s.executeQuery()) {
          while (rs.next()) {
            out.add(rs.getString(1));
          }
        }
      }
      return out;
    });
  }

  /**
   * Takes the pending request of a live job of this replica (deletes its row) and cancels the job;
   * nothing when the request was already taken (a sweep and a notification can both see it).
   */
  private void cancel(CancelTarget target, String id) {
    if (deleteRequest(id)) {
      LOG.info("job {}: cancel requested through the store", id);
      target.cancel().accept(id);
    }
  }

  /** Deletes the cancel request of job {@code id}; whether there was one. */
  private boolean deleteRequest(String id) {
    return db.transaction("cannot delete the cancel request of job " + id, c -> {
      try (PreparedStatement s = c.prepareStatement("DELETE FROM job_cancels WHERE id = ?")) {
        s.setString(1, id);
        return s.executeUpdate() > 0;
      }
    });
  }

  private void pause(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      if (!closed) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private static void closeQuietly(Connection c) {
    if (c == null) {
      return;
    }
    try {
      c.close();
    } catch (SQLException ignored) {
      // already broken
    }
  }

  /** Where cancel requests go: this replica's live jobs and the action that cancels one. */
  private record CancelTarget(Supplier<Iterable<String>> liveIds, Consumer<String> cancel) {
    Set<String> live() {
      Set<String> out = new HashSet<>();
      liveIds.get().forEach(out::add);
      return out;
    }
  }

  /** One watch: the last record passed on. Its events are sent on the listening thread only. */
  private final class Watch {
    private final String id;
    private final Consumer<JobEvent> watcher;
    private JobRecord last;
    private volatile boolean stopped;

    Watch(JobRecord first, Consumer<JobEvent> watcher) {
      this.id = first.id();
      this.last = first;
      this.watcher = watcher;
    }

    void offer(JobRecord now) {
      if (stopped || now.equals(last)) {
        return;
      }
      JobRecord previous = last;
      last = now;
      try {
        watcher.accept(new JobEvent(now, FileJobRelay.describe(previous, now)));
      } catch (RuntimeException e) {
        LOG.warn("a watcher of job {} failed ({}); it gets no more events", now.id(), e.toString());
        stop();
        return;
      }
      if (now.state().terminal()) {
        stop();
      }
    }

    void stop() {
      stopped = true;
      watches.computeIfPresent(id, (key, list) -> {
        list.remove(this);
        return list.isEmpty() ? null : list;
      });
    }
  }
}
