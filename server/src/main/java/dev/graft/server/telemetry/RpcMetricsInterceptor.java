package dev.graft.server.telemetry;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.ErrorInfo;
import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Counts every RPC by service, method and status code ({@code graft_rpc_requests_total}), times it
 * ({@code graft_rpc_duration_seconds}, from the call's start to its close) and counts refusals
 * under load or quota by their reason ({@code graft_refusals_total}: RESOURCE_EXHAUSTED with
 * {@code QUEUE_FULL}, {@code INFERENCE_BUSY}, {@code RATE_LIMITED}, ...). A call the client
 * cancelled counts as CANCELLED. Installed outside authentication, so refused calls count too.
 */
public final class RpcMetricsInterceptor implements ServerInterceptor {
  private final Counter requests;
  private final Histogram duration;
  private final Counter refusals;

  public RpcMetricsInterceptor(PrometheusRegistry registry) {
    requests = Counter.builder().name("graft_rpc_requests_total")
        .help("RPCs finished, by service, method and gRPC status code")
        .labelNames("service", "method", "code").register(registry);
    duration = Histogram.builder().name("graft_rpc_duration_seconds")
        .help("RPC latency from the call's start to its status, by service and method")
        .labelNames("service", "method").classicOnly()
        .classicUpperBounds(.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300)
        .register(registry);
    refusals = Counter.builder().name("graft_refusals_total")
        .help("Calls refused with RESOURCE_EXHAUSTED, by reason (QUEUE_FULL, INFERENCE_BUSY, RATE_LIMITED, quotas)")
        .labelNames("reason").register(registry);
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
      ServerCallHandler<Q, R> next) {
    long start = System.nanoTime();
    MethodDescriptor<Q, R> method = call.getMethodDescriptor();
    AtomicBoolean recorded = new AtomicBoolean();
    ServerCall<Q, R> measured = new SimpleForwardingServerCall<>(call) {
      @Override
      public void close(Status status, Metadata trailers) {
        if (recorded.compareAndSet(false, true)) {
          record(method, status, trailers, start);
        }
        super.close(status, trailers);
      }
    };
    return new SimpleForwardingServerCallListener<>(next.startCall(measured, headers)) {
      @Override
      public void onCancel() {
        if (recorded.compareAndSet(false, true)) {
          record(method, Status.CANCELLED, null, start);
        }
        super.onCancel();
      }
    };
  }

  private void record(MethodDescriptor<?, ?> method, Status status, Metadata trailers, long start) {
    String service = method.getServiceName() == null ? "" : method.getServiceName();
    String name = method.getBareMethodName() == null ? "" : method.getBareMethodName();
    requests.labelValues(service, name, status.getCode().name()).inc();
    duration.labelValues(service, name).observe((System.nanoTime() - start) / 1e9);
    if (status.getCode() == Status.Code.RESOURCE_EXHAUSTED) {
      refusals.labelValues(reason(status, trailers)).inc();
    }
  }

  /** The ErrorInfo reason in the status details, or UNSPECIFIED. */
  static String reason(Status status, Metadata trailers) {
    com.google.rpc.Status details = trailers == null ? null : StatusProto.fromStatusAndTrailers(status, trailers);
    if (details != null) {
      for (Any any : details.getDetailsList()) {
        if (any.is(ErrorInfo.class)) {
          try {
            String reason = any.unpack(ErrorInfo.class).getReason();
            // Reasons are a fixed UPPER_SNAKE catalogue; anything else is not a label value.
            return reason.matches("[A-Z][A-Z0-9_]{0,63}") ? reason : "UNSPECIFIED";
          } catch (InvalidProtocolBufferException e) {
            return "UNSPECIFIED";
          }
        }
      }
    }
    return "UNSPECIFIED";
  }
}
