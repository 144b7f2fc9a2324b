package dev.graft.server.http;

import com.google.protobuf.Any;
import com.google.protobuf.Descriptors;
import com.google.rpc.ErrorInfo;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.protobuf.ProtoServiceDescriptorSupplier;
import io.grpc.protobuf.StatusProto;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.inject.Inject;
import javax.inject.Singleton;

/**
 * Calls Graft's gRPC services from the HTTP listener over an in-process channel to the same
 * intercepted services the gRPC port serves (auth and roles, audit, metrics, access log, tracing,
 * request parsing), with raw message bytes: one generic path for every method, so the HTTP/JSON
 * and gRPC-Web bindings have no per-RPC code. {@link #attach} is called once the server has built
 * its services. Thread-safe.
 */
@Singleton
public final class GrpcBridge {
  private static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  };

  /** A method the bridge can call: its gRPC name and type, and its protobuf descriptor. */
  public record Method(String fullName, MethodDescriptor.MethodType type, Descriptors.MethodDescriptor proto) {
    boolean clientStreams() {
      return type == MethodDescriptor.MethodType.CLIENT_STREAMING || type == MethodDescriptor.MethodType.BIDI_STREAMING;
    }

    boolean serverStreams() {
      return type == MethodDescriptor.MethodType.SERVER_STREAMING || type == MethodDescriptor.MethodType.BIDI_STREAMING;
    }
  }

  /** What a call sent back, message by message, then its status and trailers. */
  public interface Responses {
    void message(byte[] message) throws IOException;

    void close(Status status, Metadata trailers) throws IOException;

    /** The call is quiet: write something that keeps the connection and shows the client is still there. */
    default void heartbeat() throws IOException {}
  }

  static final int HEARTBEAT_SECONDS = 15;
  /** How long an upload waits for the call to become ready before it looks again. */
  static final long READY_WAIT_MILLIS = 20;
  static final int MAX_IN_FLIGHT = 32;

  private final Semaphore inFlight = new Semaphore(MAX_IN_FLIGHT);
  private volatile Channel channel;
  private volatile Map<String, Method> methods = Map.of();

  @Inject
  public GrpcBridge() {}

  /** Connects the bridge to {@code channel}, which reaches {@code services} (called at start). */
  public void attach(Channel channel, Iterable<ServerServiceDefinition> services) {
    Map<String, Method> found = new HashMap<>();
    for (ServerServiceDefinition service : services) {
      if (!(service.getServiceDescriptor().getSchemaDescriptor() instanceof ProtoServiceDescriptorSupplier s)) {
        continue;
      }
      for (var m : service.getMethods()) {
        MethodDescriptor<?, ?> d = m.getMethodDescriptor();
        Descriptors.MethodDescriptor proto = s.getServiceDescriptor().findMethodByName(d.getBareMethodName());
        if (proto != null) {
          found.put(d.getFullMethodName(), new Method(d.getFullMethodName(), d.getType(), proto));
        }
      }
    }
    this.methods = Map.copyOf(found);
    this.channel = channel;
  }

  /** The method named {@code service/method}, if the server serves it. */
  public Optional<Method> method(String fullName) {
    return Optional.ofNullable(methods.get(fullName));
  }

  /**
   * Calls {@code method} with {@code requests} (one for unary and server-streaming methods) and
   * {@code headers}; hands each response message to {@code out} as it arrives (flow-controlled:
   * the next is asked for once {@code out} took the last), then the status. Blocks until the call
   * ends. Requests are sent as the server is ready for them, and no more are read once it has
   * answered. While a stream is quiet, {@link Responses#heartbeat} runs every {@value
   * #HEARTBEAT_SECONDS} s, so a client that went away is noticed; the call is cancelled whenever
   * it does not end by itself. At most {@value #MAX_IN_FLIGHT} calls at once (the HTTP threads
   * must stay free for probes and metrics): beyond, RESOURCE_EXHAUSTED {@code
   * TOO_MANY_HTTP_CALLS}.
   */
  public void call(Method method, Iterator<byte[]> requests, Metadata headers, Responses out)
      throws IOException, InterruptedException {
    Channel c = channel;
    if (c == null) {
      out.close(Status.UNAVAILABLE.withDescription("the server is starting"), new Metadata());
      return;
    }
    if (!inFlight.tryAcquire()) {
      var busy = StatusProto.toStatusRuntimeException(com.google.rpc.Status.newBuilder()
          .setCode(Status.Code.RESOURCE_EXHAUSTED.value())
          .setMessage(MAX_IN_FLIGHT + " HTTP calls are in flight, the most this listener serves at once; retry, or"
              + " use gRPC for long streams")
          .addDetails(Any.pack(ErrorInfo.newBuilder().setReason("TOO_MANY_HTTP_CALLS").setDomain("graft.dev").build()))
          .build());
      out.close(busy.getStatus(), busy.getTrailers());
      return;
    }
    try {
      run(c, method, requests, headers, out);
    } finally {
      inFlight.release();
    }
  }

  private void run(Channel c, Method method, Iterator<byte[]> requests, Metadata headers, Responses out)
      throws IOException, InterruptedException {
    MethodDescriptor<byte[], byte[]> descriptor = MethodDescriptor.newBuilder(BYTES, BYTES)
        .setFullMethodName(method.fullName()).setType(method.type()).build();
    ClientCall<byte[], byte[]> call = c.newCall(descriptor, CallOptions.DEFAULT);
    BlockingQueue<Object> events = new LinkedBlockingQueue<>();
    Object readiness = new Object();
    AtomicBoolean closed = new AtomicBoolean();
    call.start(new ClientCall.Listener<>() {
      @Override
      public void onMessage(byte[] message) {
        events.add(message);
      }

      @Override
      public void onReady() {
        synchronized (readiness) {
          readiness.notifyAll();
        }
      }

      @Override
      public void onClose(Status status, Metadata trailers) {
        closed.set(true);
        events.add(new Closed(status, trailers));
        onReady();
      }
    }, headers);
    boolean ended = false;
    try {
      call.request(1);
      boolean first = true;
      while (requests.hasNext()) {
        // Flow control paces an upload's later chunks; the first message goes at once (a unary
        // call has only that one, and waiting for onReady before it held calls back by the wait's
        // full timeout: every HTTP call took 1 s). A missed onReady costs one short wait slice.
        if (!first) {
          synchronized (readiness) {
            while (!call.isReady() && !closed.get()) {
              readiness.wait(READY_WAIT_MILLIS);
            }
          }
        }
        first = false;
        if (closed.get()) {
          break; // answered already (a bad spec, say): the rest of the body is not read
        }
        call.sendMessage(requests.next());
      }
      if (!closed.get()) {
        call.halfClose();
      }
      while (true) {
        Object event = events.poll(HEARTBEAT_SECONDS, TimeUnit.SECONDS);
        if (event == null) {
          out.heartbeat();
          continue;
        }
        if (event instanceof Closed done) {
          ended = true;
          out.close(done.status(), done.trailers());
          return;
        }
        out.message((byte[]) event);
        call.request(1);
      }
    } finally {
      if (!ended) {
        call.cancel("the HTTP request ended before the call (client gone, body unreadable, or interrupted)", null);
      }
    }
  }

  private record Closed(Status status, Metadata trailers) {}
}
