package dev.graft.server.api;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import com.google.rpc.ErrorInfo;
import dev.graft.server.security.MethodPolicy;
import dev.graft.server.security.Principal;
import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;
import java.util.List;
import javax.inject.Inject;

/**
 * One line on the {@code graft.audit} logger per state-changing call, when it ends: who (principal
 * and role), what (method and the resource it named or created), and the result (code and reason):
 * {@code principal=alice role=trainer call=graft.v1.TrainingService/Train target=reviews
 * result=job-1a2b code=OK reason=}. Runs inside {@link AuthInterceptor}, so the principal is known.
 */
public final class AuditInterceptor implements ServerInterceptor {
  private static final System.Logger LOG = System.getLogger("graft.audit");
  /** The request fields that name what a call acts on, in the order they are looked for. */
  private static final List<String> TARGET_FIELDS = List.of("name", "id", "output_model", "spec");
  private static final int MAX_TARGET = 200;

  @Inject
  public AuditInterceptor() {}

  @Override
  public <Q, A> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
    String method = call.getMethodDescriptor().getFullMethodName();
    if (MethodPolicy.isOpen(method) || !MethodPolicy.rule(method).changesState()) {
      return next.startCall(call, headers);
    }
    Principal principal = CallPrincipal.current();
    String[] target = {"", ""};
    ServerCall<Q, A> audited = new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
      @Override
      public void sendMessage(A message) {
        if (target[1].isEmpty() && message instanceof Message m) {
          target[1] = targetOf(m);
        }
        super.sendMessage(message);
      }

      @Override
      public void close(Status status, Metadata trailers) {
        com.google.rpc.Status details = StatusProto.fromStatusAndTrailers(status, trailers);
        String reason = details.getDetailsList().stream().filter(a -> a.is(ErrorInfo.class)).findFirst()
            .map(a -> {
              try {
                return a.unpack(ErrorInfo.class).getReason();
              } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                return "";
              }
            }).orElse("");
        LOG.log(System.Logger.Level.INFO, "principal=" + principal.name() + " role=" + principal.role().label()
            + " call=" + method + " target=" + quote(target[0]) + " result=" + quote(target[1]) + " code="
            + status.getCode() + " reason=" + reason);
        super.close(status, trailers);
      }
    };
    return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(next.startCall(audited, headers)) {
      @Override
      public void onMessage(Q message) {
        if (target[0].isEmpty() && message instanceof Message m) {
          target[0] = targetOf(m);
        }
        super.onMessage(message);
      }
    };
  }

  /** The first non-empty naming field of {@code m} (looking one level into a {@code spec}). */
  static String targetOf(Message m) {
    for (String name : TARGET_FIELDS) {
      FieldDescriptor f = m.getDescriptorForType().findFieldByName(name);
      if (f == null || f.isRepeated()) {
        continue;
      }
      Object value = m.getField(f);
      if (value instanceof String s && !s.isEmpty()) {
        return s;
      }
      if (value instanceof Message nested && m.hasField(f)) {
        String inner = targetOf(nested);
        if (!inner.isEmpty()) {
          return inner;
        }
      }
    }
    return "";
  }

  private static String quote(String s) {
    String cut = s.length() > MAX_TARGET ? s.substring(0, MAX_TARGET) + "…" : s;
    return cut.isEmpty() ? "-" : "\"" + cut.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + "\"";
  }
}
