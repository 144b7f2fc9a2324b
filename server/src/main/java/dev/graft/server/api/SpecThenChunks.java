package dev.graft.server.api;

import dev.graft.api.v1.DataChunk;
import dev.graft.server.core.Limits;
import dev.graft.spi.GraftException;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import javax.inject.Inject;
import javax.inject.Named;
import javax.inject.Singleton;

/**
 * The server side of a client stream whose first message is a spec and the rest are file chunks
 * (UploadDataset, ImportModel): starts a session on the spec, feeds it the chunks, commits it when
 * the client half-closes, and answers the result or the first failure — after which the session is
 * discarded and later messages are ignored.
 *
 * <p>A stream that sends no message for {@code upload-idle-timeout-seconds} is ended with
 * RESOURCE_EXHAUSTED reason {@code UPLOAD_IDLE} and its session discarded. The check runs on a
 * timer thread, so every step is taken under a lock: a message being handled while the timer fires
 * is not idle (the timer looks again later), and once the stream has ended — by the timer, a
 * failure, a commit or the client — nothing else touches the session or the response observer.
 * The commit itself runs outside the lock (the stream has ended for the timer by then).
 * Thread-safe.
 *
 * @param <Q> the request message
 * @param <A> the response message
 */
final class SpecThenChunks<Q, A> implements StreamObserver<Q> {

  /** One upload in progress. */
  interface Session<A> extends AutoCloseable {
    void write(String part, com.google.protobuf.ByteString data);

    /** Finishes and returns the response; the session is closed afterwards either way. */
    A commit();

    /** Discards whatever was not committed. */
    @Override
    void close();
  }

  /** How to read the request type: its spec (null if the message has none) and its chunk (null likewise). */
  interface Reader<Q, A> {
    Session<A> beginIfSpec(Q request);

    DataChunk chunk(Q request);
  }

  /** Opens spec-then-chunks streams with the server's idle timeout and timer. Thread-safe. */
  @Singleton
  static final class Factory {
    private final StatusMapper statuses;
    private final ScheduledExecutorService timer;
    private final Duration idleTimeout;

    @Inject
    Factory(StatusMapper statuses, @Named("housekeeping") ScheduledExecutorService timer, Limits limits) {
      this.statuses = statuses;
      this.timer = timer;
      this.idleTimeout = limits.uploadIdleTimeout();
    }

    <Q, A> SpecThenChunks<Q, A> open(String rpc, Reader<Q, A> reader, StreamObserver<A> out) {
      return new SpecThenChunks<>(rpc, reader, out, statuses::toStatusException, timer, idleTimeout);
    }
  }

  private final String rpc;
  private final Reader<Q, A> reader;
  private final StreamObserver<A> out;
  private final Function<RuntimeException, RuntimeException> toStatus;
  private final ScheduledExecutorService timer;
  private final Duration idleTimeout;
  private final long idleNanos;
  private final ReentrantLock lock = new ReentrantLock();
  /** When the last message arrived or was handled (System.nanoTime). */
  private volatile long lastActivity;
  private volatile ScheduledFuture<?> idleCheck;
  /** Guarded by {@link #lock}. */
  private Session<A> session;
  /** Guarded by {@link #lock}: the stream has ended, or its commit has started. */
  private boolean done;

  SpecThenChunks(String rpc, Reader<Q, A> reader, StreamObserver<A> out,
      Function<RuntimeException, RuntimeException> toStatus, ScheduledExecutorService timer, Duration idleTimeout) {
    this.rpc = rpc;
    this.reader = reader;
    this.out = out;
    this.toStatus = toStatus;
    this.timer = timer;
    this.idleTimeout = idleTimeout;
    this.idleNanos = idleTimeout.toNanos();
    this.lastActivity = System.nanoTime();
    scheduleIdleCheck(idleNanos);
  }

  @Override
  public void onNext(Q request) {
    RuntimeException failure = null;
    lock.lock();
    try {
      if (done) {
        return;
      }
      lastActivity = System.nanoTime();
      DataChunk chunk = reader.chunk(request);
      if (chunk != null) {
        if (session == null) {
          throw GraftException.invalidArgument("spec", "SPEC_MISSING", "the first message of " + rpc + " must carry the spec");
        }
        session.write(chunk.getPart(), chunk.getData());
        return;
      }
      if (session != null) {
        throw GraftException.invalidArgument("spec", "SPEC_REPEATED", "the spec must be sent once, first");
      }
      session = reader.beginIfSpec(request);
      if (session == null) {
        throw GraftException.invalidArgument("value", "EMPTY_MESSAGE", "a message must carry a spec or a chunk");
      }
    } catch (RuntimeException e) {
      failure = e;
    } finally {
      lastActivity = System.nanoTime();
      lock.unlock();
    }
    if (failure != null) {
      end(failure);
    }
  }

  @Override
  public void onError(Throwable t) {
    Session<A> s = finish();
    if (s != null) {
      s.close();
    }
  }

  @Override
  public void onCompleted() {
    Session<A> s;
    lock.lock();
    try {
      if (done) {
        return;
      }
      lastActivity = System.nanoTime();
      s = session == null ? null : finishLocked();
    } finally {
      lock.unlock();
    }
    if (s == null) {
      end(GraftException.invalidArgument("spec", "SPEC_MISSING", rpc + " received no spec"));
      return;
    }
    A result;
    try {
      result = s.commit();
    } catch (RuntimeException e) {
      s.close();
      out.onError(toStatus.apply(e));
      return;
    }
    s.close();
    out.onNext(result);
    out.onCompleted();
  }

  /** Ends the stream with {@code failure} unless it has ended already; discards the session. */
  private void end(RuntimeException failure) {
    lock.lock();
    Session<A> s;
    try {
      if (done) {
        return;
      }
      s = finishLocked();
    } finally {
      lock.unlock();
    }
    if (s != null) {
      s.close();
    }
    out.onError(toStatus.apply(failure));
  }

  /** Marks the stream ended and takes its session; null when it had ended already or had none. */
  private Session<A> finish() {
    lock.lock();
    try {
      return done ? null : finishLocked();
    } finally {
      lock.unlock();
    }
  }

  private Session<A> finishLocked() {
    done = true;
    Session<A> s = session;
    session = null;
    ScheduledFuture<?> check = idleCheck;
    if (check != null) {
      check.cancel(false);
    }
    return s;
  }

  /** Runs on the timer: ends the stream if it has been quiet for the whole timeout, else looks again later. */
  private void checkIdle() {
    if (!lock.tryLock()) {
      scheduleIdleCheck(idleNanos); // a message is being handled right now: not idle
      return;
    }
    Session<A> s;
    try {
      if (done) {
        return;
      }
      long quiet = System.nanoTime() - lastActivity;
      if (quiet < idleNanos) {
        scheduleIdleCheck(idleNanos - quiet);
        return;
      }
      s = finishLocked();
    } finally {
      lock.unlock();
    }
    if (s != null) {
      s.close();
    }
    out.onError(toStatus.apply(GraftException.resourceExhausted("UPLOAD_IDLE", rpc + " sent no message for "
        + idleTimeout.toSeconds() + " s, the most upload-idle-timeout-seconds=" + idleTimeout.toSeconds()
        + " allows; the upload was discarded")));
  }

  private void scheduleIdleCheck(long delayNanos) {
    try {
      idleCheck = timer.schedule(this::checkIdle, delayNanos, TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException shuttingDown) {
      // the server is stopping: its shutdown cancels the call
    }
  }
}
