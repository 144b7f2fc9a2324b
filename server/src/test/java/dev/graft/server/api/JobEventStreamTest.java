package dev.graft.server.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.api.v1.Job;
import dev.graft.api.v1.JobEvent;
import dev.graft.api.v1.JobState;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.ArrayList;
import java.util.List;
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

  private static dev.graft.server.core.jobs.JobEvent event(String message) {
    return new dev.graft.server.core.jobs.JobEvent(null, message);
  }

  private static JobEvent map(dev.graft.server.core.jobs.JobEvent e) {
    JobState state = e.message().equals("done") ? JobState.JOB_STATE_SUCCEEDED : JobState.JOB_STATE_RUNNING;
    return JobEvent.newBuilder().setMessage(e.message()).setJob(Job.newBuilder().setState(state)).build();
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
