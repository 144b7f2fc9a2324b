package dev.graft.server.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.server.core.store.StoreLayout;
import dev.graft.spi.GraftException;
import io.grpc.Attributes;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.Status;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The guard closes a failed call once, never in the middle of a message another thread sends, and swallows late failures. */
class ExceptionGuardInterceptorTest {

  /** Records what reaches the transport; sendMessage can be held to stand in for a slow write. */
  static final class RecordingCall extends ServerCall<String, String> {
    final List<String> events = new CopyOnWriteArrayList<>();
    final CountDownLatch sending = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);
    volatile boolean hold;

    @Override
    public void request(int numMessages) {}

    @Override
    public void sendHeaders(Metadata headers) {}

    @Override
    public void sendMessage(String message) {
      events.add("send-start " + message);
      if (hold) {
        sending.countDown();
        try {
          release.await(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      events.add("send-end " + message);
    }

    @Override
    public void close(Status status, Metadata trailers) {
      if (events.stream().anyMatch(e -> e.startsWith("close"))) {
        throw new IllegalStateException("call already closed");
      }
      events.add("close " + status.getCode());
    }

    @Override
    public boolean isCancelled() {
      return false;
    }

    @Override
    public Attributes getAttributes() {
      return Attributes.EMPTY;
    }

    @Override
    public MethodDescriptor<String, String> getMethodDescriptor() {
      MethodDescriptor.Marshaller<String> m = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(String value) {
          return new ByteArrayInputStream(value.getBytes());
        }

        @Override
        public String parse(InputStream stream) {
          return "";
        }
      };
      return MethodDescriptor.<String, String>newBuilder().setType(MethodDescriptor.MethodType.SERVER_STREAMING)
          .setFullMethodName("test.Service/Watch").setRequestMarshaller(m).setResponseMarshaller(m).build();
    }
  }

  @TempDir Path store;
  private StoreLayout layout;
  private ExceptionGuardInterceptor guard;

  @BeforeEach
  void setUp() {
    layout = new StoreLayout(store);
    guard = new ExceptionGuardInterceptor(new StatusMapper(layout));
  }

  @AfterEach
  void tearDown() {
    layout.close();
  }

  @Test
  void aFailureWaitsForTheMessageBeingSentAndClosesOnce() throws Exception {
    RecordingCall raw = new RecordingCall();
    AtomicReference<ServerCall<String, String>> handed = new AtomicReference<>();
    ServerCall.Listener<String> listener = guard.interceptCall(raw, new Metadata(), (call, headers) -> {
      handed.set(call);
      return new ServerCall.Listener<>() {
        @Override
        public void onHalfClose() {
          throw GraftException.invalidArgument("x", "BAD_THING", "bad");
        }
      };
    });
    raw.hold = true;
    Thread sender = new Thread(() -> handed.get().sendMessage("event"));
    sender.start();
    assertTrue(raw.sending.await(5, TimeUnit.SECONDS));
    Thread failing = new Thread(listener::onHalfClose);
    failing.start();
    Thread.sleep(200); // the guard's close must wait for the send to finish
    assertEquals(List.of("send-start event"), raw.events);
    raw.release.countDown();
    sender.join(5_000);
    failing.join(5_000);
    assertEquals(List.of("send-start event", "send-end event", "close INVALID_ARGUMENT"), raw.events);

    handed.get().close(Status.OK, new Metadata()); // a handler closing after the guard did: ignored
    listener.onMessage("late");
    assertEquals(3, raw.events.size(), "closed once");
  }

  @Test
  void failuresAfterTheCallEndedAreNotThrownIntoGrpc() {
    RecordingCall raw = new RecordingCall();
    ServerCall.Listener<String> listener = guard.interceptCall(raw, new Metadata(), (call, headers) ->
        new ServerCall.Listener<>() {
          @Override
          public void onCancel() {
            throw new IllegalStateException("cleanup failed");
          }

          @Override
          public void onComplete() {
            throw new IllegalStateException("cleanup failed");
          }
        });
    listener.onCancel();
    listener.onComplete();
    assertFalse(raw.events.stream().anyMatch(e -> e.startsWith("close")), "nothing to close on an ended call");
  }
}
