package dev.graft.server.telemetry;

import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.TraceServiceGrpc;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/** A real OTLP/gRPC trace endpoint on a loopback port that keeps what it is sent. */
final class OtlpCollector implements AutoCloseable {
  private final List<ResourceSpans> received = new ArrayList<>();
  private final Server server;

  OtlpCollector() throws IOException {
    server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addService(new TraceServiceGrpc.TraceServiceImplBase() {
          @Override
          public void export(ExportTraceServiceRequest request, StreamObserver<ExportTraceServiceResponse> out) {
            synchronized (received) {
              received.addAll(request.getResourceSpansList());
            }
            out.onNext(ExportTraceServiceResponse.getDefaultInstance());
            out.onCompleted();
          }
        })
        .build().start();
  }

  String endpoint() {
    return "http://127.0.0.1:" + server.getPort();
  }

  List<ResourceSpans> resources() {
    synchronized (received) {
      return List.copyOf(received);
    }
  }

  List<Span> spans() {
    List<Span> spans = new ArrayList<>();
    for (ResourceSpans r : resources()) {
      for (ScopeSpans s : r.getScopeSpansList()) {
        spans.addAll(s.getSpansList());
      }
    }
    return spans;
  }

  @Override
  public void close() {
    server.shutdownNow();
  }
}
