package dev.graft.server.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.rpc.ErrorInfo;
import dev.graft.api.v1.DataChunk;
import dev.graft.server.core.store.StoreLayout;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The idle timeout of {@link SpecThenChunks} and its races with messages, on a real timer thread. */
class SpecThenChunksTest {
  private final ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1);
  @TempDir
  Path store;
  private StoreLayout layout;
  private StatusMapper statuses;

  @BeforeEach
  void start() {
    layout = new StoreLayout(store);
    statuses = new StatusMapper(layout);
  }

  @AfterEach
  void stop() {
    timer.shutdownNow();
    layout.close();
  }

  /** A session recording what happened to it; writes of "slow" wait for {@link #release}. */
  static final class FakeSession implements SpecThenChunks.Session<String> {
    final List<String> written = new CopyOnWriteArrayList<>();
    final AtomicInteger closes = new AtomicInteger();
    final AtomicBoolean writing = new AtomicBoolean();
    final AtomicBoolean closedWhileWriting = new AtomicBoolean();
    final CountDownLatch slowStarted = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);

    @Override
    public void write(String part, ByteString data) {
      writing.set(true);
      try {
        if (part.equals("slow")) {
          slowStarted.countDown();
          release.await(10, TimeUnit.SECONDS);
        }
        written.add(part);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        writing.set(false);
      }
    }

    @Override
    public String commit() {
      return "committed " + written;
    }

    @Override
    public void close() {
      if (writing.get()) {
        closedWhileWriting.set(true);
      }
      closes.incrementAndGet();
    }
  }

  /** The response side: the result or the error. */
  static final class Response implements StreamObserver<String> {
    final CompletableFuture<String> result = new CompletableFuture<>();
    final AtomicInteger calls = new AtomicInteger();

    @Override
    public void onNext(String value) {
      calls.incrementAndGet();
      result.complete(value);
    }

    @Override
    public void onError(Throwable t) {
      calls.incrementAndGet();
      result.completeExceptionally(t);
    }

    @Override
    public void onCompleted() {
      calls.incrementAndGet();
    }

    Throwable error() throws InterruptedException {
      try {
        result.get(5, TimeUnit.SECONDS);
        return null;
      } catch (java.util.concurrent.ExecutionException e) {
        return e.getCause();
      } catch (java.util.concurrent.TimeoutException e) {
        throw new AssertionError("no response within 5 s");
      }
    }
  }

  /** Requests are strings: "spec" begins the session, anything else is a chunk of that part. */
  private SpecThenChunks<String, String> stream(FakeSession session, Response out, Duration idle) {
    return new SpecThenChunks<>("Upload", new SpecThenChunks.Reader<String, String>() {
      @Override
      public SpecThenChunks.Session<String> beginIfSpec(String request) {
        return request.equals("spec") ? session : null;
      }

      @Override
      public DataChunk chunk(String request) {
        return request.equals("spec") ? null
            : DataChunk.newBuilder().setPart(request).setData(ByteString.copyFromUtf8("x")).build();
      }
    }, out, statuses::toStatusException, timer, idle);
  }

  private static String reason(Throwable t) {
    com.google.rpc.Status status = StatusProto.fromThrowable(t);
    for (var any : status.getDetailsList()) {
      if (any.is(ErrorInfo.class)) {
        try {
          return any.unpack(ErrorInfo.class).getReason();
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
          throw new AssertionError(e);
        }
      }
    }
    return null;
  }

  @Test
  void quietStreamIsEndedWithUploadIdleAndDiscardedOnce() throws Exception {
    FakeSession session = new FakeSession();
    Response out = new Response();
    SpecThenChunks<String, String> s = stream(session, out, Duration.ofMillis(300));
    s.onNext("spec");
    s.onNext("a");
    long start = System.nanoTime();
    Throwable error = out.error();
    double seconds = (System.nanoTime() - start) / 1e9;
    assertTrue(error instanceof StatusRuntimeException, String.valueOf(error));
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, ((StatusRuntimeException) error).getStatus().getCode());
    assertEquals("UPLOAD_IDLE", reason(error));
    assertTrue(error.getMessage().contains("upload-idle-timeout-seconds"), error.getMessage());
    assertTrue(seconds > 0.2 && seconds < 3, "ended after " + seconds + " s");
    assertEquals(1, session.closes.get(), "discarded once");
    s.onNext("late");
    s.onCompleted();
    s.onError(new RuntimeException("client went away"));
    assertEquals(List.of("a"), session.written, "a late chunk is ignored");
    assertEquals(1, session.closes.get());
    assertEquals(1, out.calls.get(), "nothing answered after the timeout's error");
  }

  @Test
  void streamWithoutAnyMessageTimesOutToo() throws Exception {
    Response out = new Response();
    stream(new FakeSession(), out, Duration.ofMillis(200));
    assertEquals("UPLOAD_IDLE", reason(out.error()));
  }

  @Test
  void messagesKeepTheStreamAliveLongerThanTheTimeout() throws Exception {
    FakeSession session = new FakeSession();
    Response out = new Response();
    SpecThenChunks<String, String> s = stream(session, out, Duration.ofMillis(1000));
    s.onNext("spec");
    for (int i = 0; i < 8; i++) { // 1.6 s in all, never a second quiet
      Thread.sleep(200);
      s.onNext("p" + i);
    }
    s.onCompleted();
    assertNull(out.error());
    assertEquals("committed [p0, p1, p2, p3, p4, p5, p6, p7]", out.result.get());
    assertEquals(1, session.closes.get());
  }

  @Test
  void timerFiringWhileAChunkIsBeingWrittenLeavesTheSessionAlone() throws Exception {
    FakeSession session = new FakeSession();
    Response out = new Response();
    SpecThenChunks<String, String> s = stream(session, out, Duration.ofMillis(300));
    s.onNext("spec");
    Thread writer = new Thread(() -> s.onNext("slow"));
    writer.start();
    assertTrue(session.slowStarted.await(5, TimeUnit.SECONDS));
    Thread.sleep(1000); // the timer fires (more than once) while the write holds the stream
    assertFalse(out.result.isDone(), "a stream busy writing is not idle");
    assertEquals(0, session.closes.get());
    session.release.countDown();
    writer.join(5_000);
    s.onCompleted(); // at once: the write just ended, so the stream is not idle yet
    assertNull(out.error());
    assertEquals("committed [slow]", out.result.get());
    assertFalse(session.closedWhileWriting.get(), "the session was closed during a write");
    assertEquals(1, session.closes.get());
  }

  @Test
  void chunksRacingTheTimeoutEitherLandOrAreRefusedNeverBoth() throws Exception {
    for (int round = 0; round < 200; round++) {
      FakeSession session = new FakeSession();
      Response out = new Response();
      SpecThenChunks<String, String> s = stream(session, out, Duration.ofMillis(5));
      s.onNext("spec");
      Thread.sleep(0, round * 50_000 % 999_999);
      for (int i = 0; i < 20; i++) {
        s.onNext("c" + i);
        Thread.sleep(0, 200_000);
      }
      s.onCompleted();
      // When the timer ended the stream first, its answer comes from the timer thread, maybe a
      // moment after onCompleted returned: wait for the answer, then look.
      out.result.handle((r, e) -> r).get(5, TimeUnit.SECONDS);
      Throwable error = out.error();
      if (error == null) {
        assertEquals(20, session.written.size(), "a committed stream got every chunk");
      } else {
        assertEquals("UPLOAD_IDLE", reason(error));
      }
      assertFalse(session.closedWhileWriting.get(), "round " + round + ": closed during a write");
      assertEquals(1, session.closes.get(), "round " + round + ": closed " + session.closes.get() + " times");
      assertTrue(out.calls.get() == 1 || (error == null && out.calls.get() == 2),
          "round " + round + ": answered " + out.calls.get() + " times");
    }
  }
}
