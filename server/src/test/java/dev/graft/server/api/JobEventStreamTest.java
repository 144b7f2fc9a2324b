package dev.graft.server.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.api.v1.Job;
import dev.graft.api.v1.JobEvent;
import dev.graft.api.v1.Metric;
import dev.graft.server.core.store.JobRecord;
import dev.graft.server.core.store.JobState;
import dev.graft.spi.MetricValue;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** WatchJob's stream sends only while the transport is ready and never buffers more than the newest event. */
class JobEventStreamTest {

  /** A transport whose readiness the test controls. */
  static final class FakeCall extends ServerCallStreamObserver<JobEvent> {
    final List<JobEvent> sent = new ArrayList<>();
    boolean ready;
    boolean completed;
    Runnable onReady = () -> {};
    Runnable onCancel = () -> {};

    void becomeReady() {
      ready = true;
      onReady.run();
    }

    @Override
    public boolean isReady() {
      return ready;
    }

    @Override
    public void setOnReadyHandler(Runnable r) {
      onReady = r;
    }

    @Override
    public void setOnCancelHandler(Runnable r) {
      onCancel = r;
    }

    @Override
    public boolean isCancelled() {
      return false;
    }

    @Override
    public void setCompression(String compression) {}

    @Override
    public void disableAutoInboundFlowControl() {}

    @Override
    public void request(int count) {}

    @Override
    public void setMessageCompression(boolean enable) {}

    @Override
    public void onNext(JobEvent value) {
      sent.add(value);
    }

    @Override
    public void onError(Throwable t) {}

    @Override
    public void onCompleted() {
      completed = true;
    }
  }

  /** Job records whose history grows by one metric per event. */
  private final List<MetricValue> history = new ArrayList<>();

  private dev.graft.server.core.jobs.JobEvent event(String message) {
    JobState state = message.equals("done") ? JobState.SUCCEEDED : JobState.RUNNING;
    if (message.startsWith("epoch ")) {
      history.add(new MetricValue("loss", 1.0 / (history.size() + 1), "train", history.size() + 1));
    }
    JobRecord record = new JobRecord("job-1", state, "m@1", "s", "out", "", null, "inline", "", 0f, null, "",
        "", 0, Map.of(), null, history, null, null, null, null, "");
    return new dev.graft.server.core.jobs.JobEvent(record, message);
  }

  /** Stands in for ResourceMapper#job: state and the whole history. */
  private static Job map(JobRecord r) {
    return Job.newBuilder()
        .setState(r.state() == JobState.SUCCEEDED ? dev.graft.api.v1.JobState.JOB_STATE_SUCCEEDED
            : dev.graft.api.v1.JobState.JOB_STATE_RUNNING)
        .addAllHistory(ResourceMapper.history(r)).build();
  }

  private static List<Integer> epochs(List<JobEvent> sent) {
    return sent.stream().flatMap(e -> e.getMetricsList().stream()).map(Metric::getEpoch).toList();
  }

  @Test
  void slowClientGetsOnlyTheNewestEventAndTheTerminalOne() {
    FakeCall call = new FakeCall();
    int[] unsubscribed = {0};
    JobEventStream stream = new JobEventStream(call, JobEventStreamTest::map);
    stream.subscribed(() -> unsubscribed[0]++);

    for (int i = 0; i < 1000; i++) {
      stream.offer(event("step " + i));
    }
    assertTrue(call.sent.isEmpty(), "nothing is sent while the transport is not ready");
    call.becomeReady();
    assertEquals(List.of("step 999"), call.sent.stream().map(JobEvent::getMessage).toList());

    stream.offer(event("step 1000"));
    stream.offer(event("done"));
    assertEquals(List.of("step 999", "step 1000", "done"), call.sent.stream().map(JobEvent::getMessage).toList());
    assertTrue(call.completed);
    assertEquals(1, unsubscribed[0]);
    stream.offer(event("after the end"));
    assertEquals(3, call.sent.size(), "nothing follows the terminal event");
  }

  @Test
  void eventsCarryOnlyNewHistoryAndSkippedEventsLoseNone() {
    FakeCall call = new FakeCall();
    JobEventStream stream = new JobEventStream(call, JobEventStreamTest::map);
    for (int i = 0; i < 300; i++) {
      stream.offer(event("epoch " + (i + 1)));
    }
    call.becomeReady();
    assertEquals(1, call.sent.size(), "one event after a slow spell");
    assertEquals(300, call.sent.get(0).getMetricsCount(), "it carries every epoch the client missed");
    stream.offer(event("step"));
    assertEquals(0, call.sent.get(1).getMetricsCount(), "a step event carries no metrics");
    call.ready = false;
    stream.offer(event("epoch 301"));
    stream.offer(event("epoch 302"));
    call.becomeReady();
    stream.offer(event("epoch 303"));
    stream.offer(event("done"));
    assertEquals(IntStream.rangeClosed(1, 303).boxed().toList(), epochs(call.sent),
        "the events' metrics concatenated are the whole history, each epoch once");
    assertTrue(call.sent.stream().allMatch(e -> e.getJob().getHistoryCount() == 0), "the job itself has no history");
    assertTrue(call.completed);
  }

  @Test
  void cancelledCallUnsubscribes() {
    FakeCall call = new FakeCall();
    int[] unsubscribed = {0};
    JobEventStream stream = new JobEventStream(call, JobEventStreamTest::map);
    stream.subscribed(() -> unsubscribed[0]++);
    call.onCancel.run();
    assertEquals(1, unsubscribed[0]);
    call.becomeReady();
    stream.offer(event("step 1"));
    assertTrue(call.sent.isEmpty());
  }
}
