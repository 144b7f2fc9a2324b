package dev.graft.server.http;

import com.google.protobuf.Descriptors;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.protobuf.ProtoServiceDescriptorSupplier;
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
  }

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
   * ends.
   */
  public void call(Method method, Iterator<byte[]> requests, Metadata headers, Responses out)
      throws IOException, InterruptedException {
    Channel c = channel;
    if (c == null) {
      out.close(Status.UNAVAILABLE.withDescription("the server is starting"), new Metadata());
      return;
    }
    MethodDescriptor<byte[], byte[]> descriptor = MethodDescriptor.newBuilder(BYTES, BYTES)
        .setFullMethodName(method.fullName()).setType(method.type()).build();
    ClientCall<byte[], byte[]> call = c.newCall(descriptor, CallOptions.DEFAULT);
    BlockingQueue<Object> events = new LinkedBlockingQueue<>();
    call.start(new ClientCall.Listener<>() {
      @Override
      public void onMessage(byte[] message) {
        events.add(message);
      }

      @Override
      public void onClose(Status status, Metadata trailers) {
        events.add(new Closed(status, trailers));
      }
    }, headers);
    call.request(1);
    try {
      while (requests.hasNext()) {
        call.sendMessage(requests.next());
      }
      call.halfClose();
    } catch (RuntimeException e) {
      call.cancel("the HTTP request could not be read", e);
      throw e;
    }
    while (true) {
      Object event = events.take();
      if (event instanceof Closed closed) {
        out.close(closed.status(), closed.trailers());
        return;
      }
      try {
        out.message((byte[]) event);
      } catch (IOException | RuntimeException e) {
        call.cancel("the HTTP client went away", e);
        throw e;
      }
      call.request(1);
    }
  }

  private record Closed(Status status, Metadata trailers) {}
}
