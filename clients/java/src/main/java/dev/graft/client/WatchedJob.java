package dev.graft.client;

import dev.graft.api.v1.Job;
import dev.graft.api.v1.JobEvent;
import dev.graft.api.v1.Metric;
import java.util.ArrayList;
import java.util.List;

/**
 * A job rebuilt from its WatchJob events: each event carries the job without its history and the
 * history entries new since the previous event, so the whole history is their concatenation.
 * Not thread-safe; one per watch.
 */
final class WatchedJob {
  private final List<Metric> history = new ArrayList<>();
  private Job last;

  void accept(JobEvent event) {
    history.addAll(event.getMetricsList());
    last = event.getJob();
  }

  /** Whether the newest event had the job in a terminal state. */
  boolean ended() {
    return last != null && GraftClient.isTerminal(last.getState());
  }

  /** The newest job with its whole history, as GetJob returns it; null before any event. */
  Job job() {
    return last == null ? null : last.toBuilder().clearHistory().addAllHistory(history).build();
  }
}
