package dev.graft.server.api;

import dev.graft.api.v1.Job;
import dev.graft.api.v1.JobEvent;
import dev.graft.api.v1.Metric;
import dev.graft.server.core.store.JobRecord;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.List;
import java.util.function.Function;

/**
 * Streams job events to one WatchJob caller with flow control: events are sent only while the
 * transport is ready; while it is not, newer events replace older unsent ones, so a slow client
 * never makes the server buffer. Each event carries the job as it is (without its history) and
 * the history entries this stream has not sent yet, so skipping an event loses nothing: the
 * watcher's history is the concatenation of every event's metrics. The terminal event is always
 * delivered last and completes the call. Thread-safe.
 */
final class JobEventStream {
  private final ServerCallStreamObserver<JobEvent> call;
  private final Function<JobRecord, Job> mapper;
  private dev.graft.server.core.jobs.JobEvent pending;
  private int historySent;
  private boolean done;
  private Runnable unsubscribe = () -> {};

  /** @param mapper the whole job, history included, as GetJob returns it */
  JobEventStream(ServerCallStreamObserver<JobEvent> call, Function<JobRecord, Job> mapper) {
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
    synchronized (this) {
      if (done) {
        return;
      }
      pending = event;
    }
    drain();
  }

  private synchronized void drain() {
    while (!done && pending != null && call.isReady()) {
      JobEvent next = toMessage(pending);
      pending = null;
      call.onNext(next);
      if (isTerminal(next)) {
        done = true;
        call.onCompleted();
        unsubscribe.run();
      }
    }
  }

  /** The event with the history entries not sent yet; moves the cursor past them. */
  private JobEvent toMessage(dev.graft.server.core.jobs.JobEvent event) {
    Job job = mapper.apply(event.job());
    List<Metric> history = job.getHistoryList();
    // A history never shrinks; should it ever, resend it whole rather than lose entries.
    int from = historySent <= history.size() ? historySent : 0;
    historySent = history.size();
    return JobEvent.newBuilder()
        .setJob(job.toBuilder().clearHistory())
        .setMessage(event.message())
        .addAllMetrics(history.subList(from, history.size()))
        .build();
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
