package dev.graft.server.api;

import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;
import java.io.BufferedInputStream;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import javax.inject.Inject;

/**
 * Parses request messages itself, so that bytes that are not the method's request message end the
 * call with INVALID_ARGUMENT {@code MALFORMED_REQUEST} (and nothing in the log but the access
 * line). Left to gRPC, a parse failure escapes as UNKNOWN "Application error processing RPC" with a
 * SEVERE stack trace per call. The wrapped service takes raw {@link InputStream} requests and
 * hands the parsed message to the original handler; interceptors applied inside the wrapper see
 * typed messages, those outside see streams.
 */
public final class RequestParsing {
  private static final MethodDescriptor.Marshaller<InputStream> RAW = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(InputStream value) {
      return value;
    }

    @Override
    public InputStream parse(InputStream stream) {
      return stream.markSupported() ? stream : new BufferedInputStream(stream);
    }
  };

  private final StatusMapper statuses;

  @Inject
  public RequestParsing(StatusMapper statuses) {
    this.statuses = statuses;
  }

  /** The same service, parsing its requests as described above. */
  public ServerServiceDefinition wrap(ServerServiceDefinition service) {
    ServiceDescriptor original = service.getServiceDescriptor();
    List<ServerMethodDefinition<?, ?>> methods = new ArrayList<>();
    for (ServerMethodDefinition<?, ?> m : service.getMethods()) {
      methods.add(wrap(m));
    }
    ServiceDescriptor.Builder descriptor = ServiceDescriptor.newBuilder(original.getName())
        .setSchemaDescriptor(original.getSchemaDescriptor());
    methods.forEach(m -> descriptor.addMethod(m.getMethodDescriptor()));
    ServerServiceDefinition.Builder out = ServerServiceDefinition.builder(descriptor.build());
    methods.forEach(out::addMethod);
    return out.build();
  }

  private <Q, A> ServerMethodDefinition<InputStream, A> wrap(ServerMethodDefinition<Q, A> definition) {
    MethodDescriptor<Q, A> typed = definition.getMethodDescriptor();
    MethodDescriptor<InputStream, A> raw = typed.toBuilder(RAW, typed.getResponseMarshaller()).build();
    ServerCallHandler<Q, A> handler = definition.getServerCallHandler();
    return ServerMethodDefinition.create(raw, (call, headers) -> {
      ServerCall<Q, A> typedCall = new ForwardingServerCall.SimpleForwardingServerCall<Q, A>(
          rawCall(call)) {
        @Override
        public MethodDescriptor<Q, A> getMethodDescriptor() {
          return typed;
        }
      };
      ServerCall.Listener<Q> listener = handler.startCall(typedCall, headers);
      return new Parsing<>(call, typed, listener);
    });
  }

  /** A raw call seen through the typed call's type: requests never pass through it. */
  @SuppressWarnings("unchecked")
  private static <Q, A> ServerCall<Q, A> rawCall(ServerCall<InputStream, A> call) {
    return (ServerCall<Q, A>) (ServerCall<?, A>) call;
  }

  /** Parses each message for the typed listener; after a malformed one, the call is over. */
  private final class Parsing<Q, A> extends ServerCall.Listener<InputStream> {
    private final ServerCall<InputStream, A> call;
    private final MethodDescriptor<Q, A> method;
    private final ServerCall.Listener<Q> delegate;
    private boolean refused;

    Parsing(ServerCall<InputStream, A> call, MethodDescriptor<Q, A> method, ServerCall.Listener<Q> delegate) {
      this.call = call;
      this.method = method;
      this.delegate = delegate;
    }

    @Override
    public void onMessage(InputStream message) {
      if (refused) {
        return;
      }
      Q parsed;
      try {
        parsed = method.parseRequest(message);
      } catch (RuntimeException e) {
        refused = true;
        var status = StatusProto.toStatusRuntimeException(statuses.toRpcStatus(Status.Code.INVALID_ARGUMENT,
            "MALFORMED_REQUEST", "", "the request is not a valid " + method.getFullMethodName() + " message"));
        call.close(status.getStatus(), status.getTrailers());
        // Let the handler clean up (an upload discards its staging) as for a client that went away.
        delegate.onCancel();
        return;
      }
      delegate.onMessage(parsed);
    }

    @Override
    public void onHalfClose() {
      if (!refused) {
        delegate.onHalfClose();
      }
    }

    @Override
    public void onCancel() {
      if (!refused) {
        delegate.onCancel();
      }
    }

    @Override
    public void onComplete() {
      if (!refused) {
        delegate.onComplete();
      }
    }

    @Override
    public void onReady() {
      if (!refused) {
        delegate.onReady();
      }
    }
  }
}
