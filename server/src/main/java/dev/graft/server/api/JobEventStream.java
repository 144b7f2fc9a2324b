package dev.graft.server.api;

import dev.graft.api.v1.JobEvent;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.function.Function;

/**
 * Streams job events to one WatchJob caller with flow control: events are sent only while the
 * transport is ready; while it is not, newer events replace older unsent ones (each event carries
 * the whole job, so the newest one says everything), so a slow client never makes the server buffer.
 * The terminal event is always delivered last and completes the call. Thread-safe.
 */
final class JobEventStream {
  private final ServerCallStreamObserver<JobEvent> call;
  private final Function<dev.graft.server.core.jobs.JobEvent, JobEvent> mapper;
  private JobEvent pending;
  private boolean done;
  private Runnable unsubscribe = () -> {};

  JobEventStream(ServerCallStreamObserver<JobEvent> call,
      Function<dev.graft.server.core.jobs.JobEvent, JobEvent> mapper) {
    this.call = call;
    this.mapper = mapper;
    call.setOnReadyHandler(this::drain);
    call.setOnCancelHandler(this::cancelled);
  }

  /** Called once the subscription exists, so a cancelled call can end it. */
  synchronized void subscribed(Runnable unsubscribeAction) {
    if (done) {
      unsubscribeAction.run();
    } else {
      this.unsubscribe = unsubscribeAction;
    }
  }

  /** Receives a job event from the job manager; never blocks. */
  void offer(dev.graft.server.core.jobs.JobEvent event) {
    JobEvent message = mapper.apply(event);
    synchronized (this) {
      if (done) {
        return;
      }
      pending = message;
    }
    drain();
  }

  private synchronized void drain() {
    while (!done && pending != null && call.isReady()) {
      JobEvent next = pending;
      pending = null;
      call.onNext(next);
      if (isTerminal(next)) {
        done = true;
        call.onCompleted();
        unsubscribe.run();
      }
    }
  }

  private synchronized void cancelled() {
    done = true;
    pending = null;
    unsubscribe.run();
  }

  private static boolean isTerminal(JobEvent e) {
    return switch (e.getJob().getState()) {
      case JOB_STATE_SUCCEEDED, JOB_STATE_FAILED, JOB_STATE_CANCELLED -> true;
      default -> false;
    };
  }
}
