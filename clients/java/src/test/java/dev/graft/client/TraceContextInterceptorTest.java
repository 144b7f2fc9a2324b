package dev.graft.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.api.v1.GetServerInfoRequest;
import dev.graft.api.v1.ServerInfo;
import dev.graft.api.v1.ServerServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.baggage.Baggage;
import io.opentelemetry.api.baggage.propagation.W3CBaggagePropagator;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.ContextPropagators;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The client's W3C Trace Context propagation, against an in-process server that records the
 * metadata of each call: the header with a current span, none without, the builder's
 * {@code openTelemetry(...)} choice, and a client that works with no OpenTelemetry API at all.
 */
class TraceContextInterceptorTest {
  static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
  static final String SPAN_ID = "00f067aa0ba902b7";
  static final Metadata.Key<String> TRACEPARENT = Metadata.Key.of("traceparent", Metadata.ASCII_STRING_MARSHALLER);
  static final Metadata.Key<String> TRACESTATE = Metadata.Key.of("tracestate", Metadata.ASCII_STRING_MARSHALLER);
  static final Metadata.Key<String> BAGGAGE = Metadata.Key.of("baggage", Metadata.ASCII_STRING_MARSHALLER);

  final AtomicReference<Metadata> seen = new AtomicReference<>();
  Server server;
  ManagedChannel channel;

  @BeforeEach
  void start() throws IOException {
    String name = InProcessServerBuilder.generateName();
    ServerInterceptor capture = new ServerInterceptor() {
      @Override
      public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
          ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
        seen.set(headers);
        return next.startCall(call, headers);
      }
    };
    ServerServiceGrpc.ServerServiceImplBase service = new ServerServiceGrpc.ServerServiceImplBase() {
      @Override
      public void getServerInfo(GetServerInfoRequest request, StreamObserver<ServerInfo> out) {
        out.onNext(ServerInfo.newBuilder().setVersion("test").build());
        out.onCompleted();
      }
    };
    server = InProcessServerBuilder.forName(name).directExecutor()
        .addService(ServerInterceptors.intercept(service, capture)).build().start();
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
  }

  @AfterEach
  void stop() {
    channel.shutdownNow();
    server.shutdownNow();
  }

  static Span span(TraceFlags flags, TraceState state) {
    return Span.wrap(SpanContext.create(TRACE_ID, SPAN_ID, flags, state));
  }

  /** Calls GetServerInfo through a client built on the in-process channel; the server's metadata. */
  Metadata call(GraftClientBuilder builder) {
    seen.set(null);
    GraftClient client = builder.channel(channel).build();
    assertEquals("test", client.serverInfo().getVersion());
    Metadata headers = seen.get();
    assertTrue(headers != null, "the server saw the call");
    return headers;
  }

  static List<String> all(Metadata headers, Metadata.Key<String> key) {
    List<String> out = new java.util.ArrayList<>();
    Iterable<String> values = headers.getAll(key);
    if (values != null) {
      values.forEach(out::add);
    }
    return out;
  }

  @Test
  void currentSampledSpanIsSentAsTraceparent() {
    Scope scope = span(TraceFlags.getSampled(), TraceState.getDefault()).makeCurrent();
    try {
      Metadata headers = call(GraftClient.builder("in-process"));
      assertEquals(List.of("00-" + TRACE_ID + "-" + SPAN_ID + "-01"), all(headers, TRACEPARENT));
      assertNull(headers.get(TRACESTATE), "an empty trace state sends no tracestate");
    } finally {
      scope.close();
    }
  }

  @Test
  void unsampledSpanAndTraceStateAreSentToo() {
    TraceState state = TraceState.builder().put("graft", "t61rcWkgMzE").build();
    Scope scope = span(TraceFlags.getDefault(), state).makeCurrent();
    try {
      Metadata headers = call(GraftClient.builder("in-process"));
      assertEquals(List.of("00-" + TRACE_ID + "-" + SPAN_ID + "-00"), all(headers, TRACEPARENT));
      assertEquals(List.of("graft=t61rcWkgMzE"), all(headers, TRACESTATE));
    } finally {
      scope.close();
    }
  }

  @Test
  void noCurrentSpanSendsNoHeader() {
    assertFalse(Span.current().getSpanContext().isValid());
    Metadata headers = call(GraftClient.builder("in-process"));
    assertNull(headers.get(TRACEPARENT));
    assertNull(headers.get(TRACESTATE));
  }

  @Test
  void contextIsReadWhenTheCallStartsNotWhenTheClientIsBuilt() {
    GraftClient client = GraftClient.builder("in-process").channel(channel).build();
    client.serverInfo();
    assertNull(seen.get().get(TRACEPARENT));
    Scope scope = span(TraceFlags.getSampled(), TraceState.getDefault()).makeCurrent();
    try {
      client.serverInfo();
      assertEquals("00-" + TRACE_ID + "-" + SPAN_ID + "-01", seen.get().get(TRACEPARENT));
    } finally {
      scope.close();
    }
    client.serverInfo();
    assertNull(seen.get().get(TRACEPARENT), "the span is no longer current");
  }

  @Test
  void aHandSetTraceparentIsReplacedNotDuplicated() {
    Metadata mine = new Metadata();
    mine.put(TRACEPARENT, "00-11111111111111111111111111111111-2222222222222222-01");
    GraftClient client = GraftClient.builder("in-process").channel(channel).build();
    Scope scope = span(TraceFlags.getSampled(), TraceState.getDefault()).makeCurrent();
    try {
      ServerServiceGrpc.newBlockingStub(client.channel())
          .withInterceptors(io.grpc.stub.MetadataUtils.newAttachHeadersInterceptor(mine))
          .getServerInfo(GetServerInfoRequest.getDefaultInstance());
    } finally {
      scope.close();
    }
    assertEquals(List.of("00-" + TRACE_ID + "-" + SPAN_ID + "-01"), all(seen.get(), TRACEPARENT));
  }

  @Test
  void noopOpenTelemetrySendsNothing() {
    Scope scope = span(TraceFlags.getSampled(), TraceState.getDefault()).makeCurrent();
    try {
      Metadata headers = call(GraftClient.builder("in-process").openTelemetry(OpenTelemetry.noop()));
      assertNull(headers.get(TRACEPARENT));
    } finally {
      scope.close();
    }
  }

  @Test
  void givenOpenTelemetryPropagatorsAreUsedInstead() {
    OpenTelemetry baggageOnly = OpenTelemetry.propagating(ContextPropagators.create(W3CBaggagePropagator.getInstance()));
    Context context = Context.root().with(span(TraceFlags.getSampled(), TraceState.getDefault()))
        .with(Baggage.builder().put("tenant", "acme").build());
    Scope scope = context.makeCurrent();
    try {
      Metadata headers = call(GraftClient.builder("in-process").openTelemetry(baggageOnly));
      assertEquals(List.of("tenant=acme"), all(headers, BAGGAGE));
      assertNull(headers.get(TRACEPARENT), "that instance propagates baggage only");
    } finally {
      scope.close();
    }
    assertThrows(IllegalArgumentException.class, () -> GraftClient.builder("x").openTelemetry(null));
  }

  /**
   * The client's classes loaded by a class loader that cannot see io.opentelemetry: the client
   * builds and calls, sends no header although a span is current here, and knows the API is absent.
   */
  @Test
  void worksWithoutTheOpenTelemetryApi() throws Exception {
    ClassLoader hiding = new WithoutOpenTelemetry(getClass().getClassLoader());
    Class<?> probe = hiding.loadClass(WithoutApi.class.getName());
    assertNotSame(WithoutApi.class, probe);
    assertThrows(ClassNotFoundException.class, () -> Class.forName(Span.class.getName(), false, hiding));
    Method run = probe.getDeclaredMethod("run", ManagedChannel.class);
    run.setAccessible(true); // same package name, another runtime package
    Scope scope = span(TraceFlags.getSampled(), TraceState.getDefault()).makeCurrent();
    try {
      seen.set(null);
      assertEquals("test false", run.invoke(null, channel));
    } finally {
      scope.close();
    }
    assertTrue(seen.get() != null);
    assertNull(seen.get().get(TRACEPARENT));
  }

  /** Runs in the class loader without OpenTelemetry: builds a client, calls, reports. */
  static final class WithoutApi {
    private WithoutApi() {}

    static String run(ManagedChannel channel) {
      GraftClient client = GraftClient.builder("in-process").channel(channel).build();
      return client.serverInfo().getVersion() + " " + Tracing.AVAILABLE;
    }
  }

  /**
   * Defines dev.graft.client's classes itself (so that they link against this loader) and refuses
   * every io.opentelemetry class; everything else comes from the parent.
   */
  static final class WithoutOpenTelemetry extends ClassLoader {
    WithoutOpenTelemetry(ClassLoader parent) {
      super(parent);
    }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
      if (name.startsWith("io.opentelemetry.")) {
        throw new ClassNotFoundException(name + " (hidden by the test)");
      }
      if (!name.startsWith("dev.graft.client.")) {
        return super.loadClass(name, resolve);
      }
      synchronized (getClassLoadingLock(name)) {
        Class<?> c = findLoadedClass(name);
        if (c == null) {
          try (InputStream in = getParent().getResourceAsStream(name.replace('.', '/') + ".class")) {
            if (in == null) {
              throw new ClassNotFoundException(name);
            }
            byte[] bytes = in.readAllBytes();
            c = defineClass(name, bytes, 0, bytes.length);
          } catch (IOException e) {
            throw new ClassNotFoundException(name, e);
          }
        }
        if (resolve) {
          resolveClass(c);
        }
        return c;
      }
    }
  }
}
