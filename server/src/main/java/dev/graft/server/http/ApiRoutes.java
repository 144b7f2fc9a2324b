package dev.graft.server.http;

import com.google.gson.JsonObject;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import com.google.rpc.BadRequest;
import com.google.rpc.DebugInfo;
import com.google.rpc.ErrorInfo;
import com.google.rpc.PreconditionFailure;
import com.google.rpc.QuotaFailure;
import com.google.rpc.ResourceInfo;
import com.google.rpc.RetryInfo;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import javax.inject.Inject;

/**
 * Graft's gRPC API over HTTP/1.1 and HTTP/2, at the gRPC paths ({@code POST
 * /graft.v1.ModelService/GetModel}), for every method the server serves, through {@link
 * GrpcBridge} (so auth, roles, metrics and tracing are the gRPC port's). Two bindings, by the
 * request's {@code Content-Type}:
 *
 * <ul>
 *   <li><b>JSON</b> ({@code application/json}, or none): the request message in proto3 JSON (a
 *       client stream: one message per line, NDJSON); the response message as JSON, a server
 *       stream as NDJSON, or as server-sent events when the client accepts {@code
 *       text/event-stream} (a quiet stream gets an empty line, or an SSE comment, every 15 s). A failed call is {@code {"code", "message", "reason", "field"}} with
 *       the HTTP status of its gRPC code; a stream that fails after its first message ends with
 *       one {@code {"error": {...}}} line (event {@code error}). Uploads ({@code UploadDataset},
 *       {@code ImportModel}) also take the file itself as an {@code application/octet-stream}
 *       body, streamed in 1 MiB chunks, with the spec as JSON in a {@code Graft-Spec} header (or
 *       {@code ?spec=}).
 *   <li><b>gRPC-Web</b> ({@code application/grpc-web} or {@code application/grpc-web+proto}):
 *       length-prefixed frames both ways, the status in a trailer frame, as browsers' gRPC-Web
 *       clients expect.
 * </ul>
 *
 * <p>Forwarded as call metadata: {@code authorization} (bearer tokens; client certificates are
 * not carried over this bridge), {@code traceparent}, {@code tracestate}, {@code x-graft-model}.
 */
public final class ApiRoutes {
  private static final List<String> FORWARDED = List.of("authorization", "traceparent", "tracestate",
      "x-graft-model");
  private static final JsonFormat.TypeRegistry DETAILS = JsonFormat.TypeRegistry.newBuilder()
      .add(List.of(ErrorInfo.getDescriptor(), BadRequest.getDescriptor(), RetryInfo.getDescriptor(),
          QuotaFailure.getDescriptor(), PreconditionFailure.getDescriptor(), ResourceInfo.getDescriptor(),
          DebugInfo.getDescriptor()))
      .build();
  private static final JsonFormat.Printer PRINTER = JsonFormat.printer().usingTypeRegistry(DETAILS)
      .omittingInsignificantWhitespace();
  private static final JsonFormat.Parser PARSER = JsonFormat.parser().usingTypeRegistry(DETAILS);
  private static final byte TRAILER = (byte) 0x80;

  private final GrpcBridge bridge;

  @Inject
  public ApiRoutes(GrpcBridge bridge) {
    this.bridge = bridge;
  }

  void register(RoutesConfig routes) {
    routes.post("/{service}/{method}", this::call, Access.OPEN); // roles: the gRPC auth interceptor's
  }

  private void call(Context ctx) throws IOException, InterruptedException {
    ctx.attribute(HttpListener.ANSWERED, true);
    String name = ctx.pathParam("service") + "/" + ctx.pathParam("method");
    String type = Optional.ofNullable(ctx.contentType()).orElse("application/json").toLowerCase(Locale.ROOT);
    boolean grpcWeb = type.startsWith("application/grpc-web");
    Optional<GrpcBridge.Method> method = bridge.method(name);
    if (method.isEmpty()) {
      io.grpc.StatusRuntimeException missing = localError(Status.Code.UNIMPLEMENTED, "UNKNOWN_METHOD", "no method "
          + name + " (paths are /package.Service/Method, e.g. /graft.v1.ModelService/ListModels)");
      if (grpcWeb) {
        webTrailers(ctx, missing.getStatus(), missing.getTrailers());
      } else {
        jsonError(ctx, missing);
      }
      return;
    }
    Metadata headers = new Metadata();
    for (String h : FORWARDED) {
      String value = ctx.header(h);
      if (value != null) {
        headers.put(Metadata.Key.of(h, Metadata.ASCII_STRING_MARSHALLER), value);
      }
    }
    if (grpcWeb) {
      if (!type.equals("application/grpc-web") && !type.startsWith("application/grpc-web+proto")) {
        io.grpc.StatusRuntimeException e = localError(Status.Code.INVALID_ARGUMENT, "UNSUPPORTED_CONTENT_TYPE",
            "only application/grpc-web(+proto) is served, not " + type);
        webTrailers(ctx, e.getStatus(), e.getTrailers());
        return;
      }
      List<byte[]> frames;
      try {
        frames = webFrames(ctx.bodyAsBytes());
        if (!method.get().clientStreams() && frames.size() != 1) {
          throw new IllegalArgumentException(name + " takes one request message; the body holds " + frames.size());
        }
      } catch (IllegalArgumentException e) {
        io.grpc.StatusRuntimeException invalid = localError(Status.Code.INVALID_ARGUMENT, "INVALID_FRAME",
            e.getMessage());
        webTrailers(ctx, invalid.getStatus(), invalid.getTrailers());
        return;
      }
      bridge.call(method.get(), frames.iterator(), headers, new WebResponses(ctx));
      return;
    }
    Iterator<byte[]> requests;
    try {
      requests = type.startsWith("application/octet-stream") && SpecAndBytes.fits(method.get())
          ? SpecAndBytes.messages(method.get(), specJson(ctx), ctx.bodyInputStream())
          : jsonRequests(method.get(), ctx.body()).iterator();
    } catch (InvalidProtocolBufferException e) {
      jsonError(ctx, localError(Status.Code.INVALID_ARGUMENT, "INVALID_JSON", "the body is not a "
          + method.get().proto().getInputType().getFullName() + " in JSON: " + e.getMessage()));
      return;
    }
    boolean sse = Optional.ofNullable(ctx.header("Accept")).orElse("").contains("text/event-stream");
    try {
      bridge.call(method.get(), requests, headers, new JsonResponses(ctx, method.get(), sse));
    } catch (UncheckedIOException e) {
      jsonError(ctx, localError(Status.Code.INVALID_ARGUMENT, "UPLOAD_INTERRUPTED", "the request body could not be"
          + " read to its end: " + e.getCause().getMessage()));
    }
  }

  private static List<byte[]> jsonRequests(GrpcBridge.Method method, String body)
      throws InvalidProtocolBufferException {
    List<String> messages = new ArrayList<>();
    if (method.clientStreams()) {
      body.lines().filter(l -> !l.isBlank()).forEach(messages::add);
    } else {
      messages.add(body.isBlank() ? "{}" : body);
    }
    List<byte[]> out = new ArrayList<>(messages.size());
    for (String json : messages) {
      DynamicMessage.Builder message = DynamicMessage.newBuilder(method.proto().getInputType());
      PARSER.merge(json, message);
      out.add(message.build().toByteArray());
    }
    return out;
  }

  /** JSON out: one object, or NDJSON / server-sent events for a server stream. */
  private static final class JsonResponses implements GrpcBridge.Responses {
    private final Context ctx;
    private final GrpcBridge.Method method;
    private final boolean sse;
    private OutputStream out;

    JsonResponses(Context ctx, GrpcBridge.Method method, boolean sse) {
      this.ctx = ctx;
      this.method = method;
      this.sse = sse;
    }

    @Override
    public void message(byte[] message) throws IOException {
      String json = PRINTER.print(DynamicMessage.parseFrom(method.proto().getOutputType(), message));
      if (!method.serverStreams()) {
        ctx.status(200).contentType("application/json").result(json);
        return;
      }
      if (out == null) {
        // Not compressed: a gzip stream holds small events back until its buffer fills.
        ctx.disableCompression();
        ctx.status(200).contentType(sse ? "text/event-stream" : "application/x-ndjson");
        ctx.res().setHeader("Cache-Control", "no-cache");
        out = ctx.res().getOutputStream();
      }
      out.write((sse ? "data: " + json + "\n\n" : json + "\n").getBytes(StandardCharsets.UTF_8));
      out.flush();
    }

    @Override
    public void heartbeat() throws IOException {
      if (out != null) { // a stream that has started: a comment line (SSE) or an empty line (NDJSON)
        out.write((sse ? ":\n\n" : "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
      }
    }

    @Override
    public void close(Status status, Metadata trailers) throws IOException {
      if (status.isOk()) {
        if (method.serverStreams() && out == null) {
          ctx.status(200).contentType(sse ? "text/event-stream" : "application/x-ndjson").result("");
        }
        return;
      }
      if (out == null) {
        jsonError(ctx, status, trailers);
        return;
      }
      JsonObject error = new JsonObject();
      error.add("error", errorBody(status, trailers));
      out.write((sse ? "event: error\ndata: " + error + "\n\n" : error + "\n").getBytes(StandardCharsets.UTF_8));
      out.flush();
    }
  }

  /** gRPC-Web out: data frames, then a trailer frame with the status. */
  private static final class WebResponses implements GrpcBridge.Responses {
    private final Context ctx;
    private OutputStream out;

    WebResponses(Context ctx) {
      this.ctx = ctx;
    }

    private OutputStream out() throws IOException {
      if (out == null) {
        ctx.disableCompression(); // each frame goes out when written
        ctx.status(200).contentType("application/grpc-web+proto");
        out = ctx.res().getOutputStream();
      }
      return out;
    }

    @Override
    public void message(byte[] message) throws IOException {
      OutputStream o = out();
      o.write(ByteBuffer.allocate(5).put((byte) 0).putInt(message.length).array());
      o.write(message);
      o.flush();
    }

    @Override
    public void close(Status status, Metadata trailers) throws IOException {
      OutputStream o = out();
      o.write(trailerFrame(status, trailers));
      o.flush();
    }
  }

  private static void webTrailers(Context ctx, Status status, Metadata trailers) {
    ctx.status(200).contentType("application/grpc-web+proto").result(trailerFrame(status, trailers));
  }

  private static byte[] trailerFrame(Status status, Metadata trailers) {
    StringBuilder text = new StringBuilder("grpc-status:" + status.getCode().value() + "\r\n");
    if (status.getDescription() != null) {
      text.append("grpc-message:").append(percentEncode(status.getDescription())).append("\r\n");
    }
    byte[] details = trailers.get(Metadata.Key.of("grpc-status-details-bin", Metadata.BINARY_BYTE_MARSHALLER));
    if (details != null) {
      text.append("grpc-status-details-bin:").append(Base64.getEncoder().withoutPadding().encodeToString(details))
          .append("\r\n");
    }
    byte[] body = text.toString().getBytes(StandardCharsets.US_ASCII);
    return ByteBuffer.allocate(5 + body.length).put(TRAILER).putInt(body.length).put(body).array();
  }

  /** The grpc-message encoding: printable ASCII except '%' as is, everything else %XX of its UTF-8. */
  private static String percentEncode(String message) {
    StringBuilder out = new StringBuilder();
    for (byte b : message.getBytes(StandardCharsets.UTF_8)) {
      if (b >= 0x20 && b < 0x7f && b != '%') {
        out.append((char) b);
      } else {
        out.append(String.format(Locale.ROOT, "%%%02X", b & 0xff));
      }
    }
    return out.toString();
  }

  /** The messages of a gRPC-Web request body (data frames; trailer frames are ignored). */
  static List<byte[]> webFrames(byte[] body) {
    List<byte[]> out = new ArrayList<>();
    ByteBuffer in = ByteBuffer.wrap(body);
    while (in.hasRemaining()) {
      if (in.remaining() < 5) {
        throw new IllegalArgumentException(in.remaining() + " bytes after the last gRPC-Web frame: not a frame");
      }
      byte flags = in.get();
      int length = in.getInt();
      if (length < 0 || length > in.remaining()) {
        throw new IllegalArgumentException("a gRPC-Web frame claims " + length + " bytes; " + in.remaining() + " left");
      }
      if ((flags & 0x01) != 0) {
        throw new IllegalArgumentException("compressed gRPC-Web frames are not accepted (send grpc-encoding identity)");
      }
      byte[] message = new byte[length];
      in.get(message);
      if ((flags & TRAILER) == 0) {
        out.add(message);
      }
    }
    return out;
  }

  /** A failure of the bridge itself, with Graft's ErrorInfo like the services' own. */
  private static io.grpc.StatusRuntimeException localError(Status.Code code, String reason, String message) {
    return StatusProto.toStatusRuntimeException(com.google.rpc.Status.newBuilder().setCode(code.value())
        .setMessage(message).addDetails(com.google.protobuf.Any.pack(ErrorInfo.newBuilder().setReason(reason)
            .setDomain(dev.graft.server.api.StatusMapper.DOMAIN).build())).build());
  }

  private static void jsonError(Context ctx, io.grpc.StatusRuntimeException e) {
    jsonError(ctx, e.getStatus(), e.getTrailers());
  }

  /** The upload's spec: the {@code Graft-Spec} header, or the {@code spec} query parameter. */
  private static String specJson(Context ctx) {
    String header = ctx.header("Graft-Spec");
    return header != null ? header : Optional.ofNullable(ctx.queryParam("spec")).orElse("{}");
  }

  private static void jsonError(Context ctx, Status status, Metadata trailers) {
    ctx.status(OipRoutes.httpStatus(status.getCode())).contentType("application/json")
        .result(errorBody(status, trailers).toString());
  }

  /** {@code {"code", "message", "reason", "field"}} of a failed call, from its status and details. */
  private static JsonObject errorBody(Status status, Metadata trailers) {
    JsonObject body = new JsonObject();
    body.addProperty("code", status.getCode().name());
    body.addProperty("message", Optional.ofNullable(status.getDescription()).orElse(""));
    com.google.rpc.Status details = StatusProto.fromStatusAndTrailers(status, trailers);
    for (var any : details.getDetailsList()) {
      try {
        if (any.is(ErrorInfo.class)) {
          body.addProperty("reason", any.unpack(ErrorInfo.class).getReason());
        } else if (any.is(BadRequest.class) && any.unpack(BadRequest.class).getFieldViolationsCount() > 0) {
          body.addProperty("field", any.unpack(BadRequest.class).getFieldViolations(0).getField());
        }
      } catch (InvalidProtocolBufferException ignored) {
        // details the server wrote itself parse
      }
    }
    return body;
  }

  /** For tests: a gRPC-Web data frame of {@code message}. */
  static byte[] webFrame(byte[] message) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(ByteBuffer.allocate(5).put((byte) 0).putInt(message.length).array());
    out.writeBytes(message);
    return out.toByteArray();
  }
}
